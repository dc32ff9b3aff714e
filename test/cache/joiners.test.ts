/**
 * Callers who join a read in flight. A write drops from sharing only the
 * reads it may change; a joiner whose shared answer comes back superseded,
 * or whose storage could not say it was not (Redis down), asks again, and
 * still within its deadline counted from when it asked.
 */
import t from 'tap'
import type { Vbase } from '../../src/upstream/vbase.js'
import { buildTestApp, waitFor } from '../helpers/app.js'
import { as, cachedVbase, createGate, ORG_A, SIM_TOKENS, startSim, TOKENS, upstreamCalls } from './fixtures/vbase.js'

/** Nothing listens on port 1: every Redis command fails at once. */
const REDIS_DOWN = 'redis://127.0.0.1:1/9'
const names = (value: object): string[] => (value as { backups: Array<{ name: string }> }).backups.map((b) => b.name).sort()
const createBackup = async (vbase: Vbase, service: string, name: string): Promise<unknown> =>
  await vbase.call('CreateBackup', { service_id: service, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: name }, as(TOKENS.A))

t.test('a write drops from sharing only the reads in flight it may change', async (t) => {
  const sim = await startSim(t)
  const hold = createGate()
  const { vbase } = await cachedVbase(t, sim, { wrap: hold.wrap })
  await createBackup(vbase, 'svc-a-1', 'one')
  await createBackup(vbase, 'svc-a-2', 'two')
  const list = (service: string): Promise<unknown> => vbase.call('ListBackups', { service_id: service }, as(TOKENS.A, { 'cache-control': 'max-age=0' }))
  const dedupes = (): number => vbase.cacheStats()?.methods.ListBackups?.dedupes ?? 0

  hold.hold('ListBackups')
  const first = [list('svc-a-1'), list('svc-a-2')]
  await waitFor(() => hold.held === 2)
  // A policy write on svc-a-2 changes no backup list.
  await vbase.call('CreateBackupPolicy', { service_id: 'svc-a-2', organization_id: ORG_A, schedule_cron: '0 0 * * *', retention_count: 3 }, as(TOKENS.A))
  const second = [list('svc-a-1'), list('svc-a-2')]
  await waitFor(() => dedupes() === 2)
  // A backup created on svc-a-2 changes its list only: a read of it asked now makes a call of its own.
  await createBackup(vbase, 'svc-a-2', 'three')
  const third = [list('svc-a-1'), list('svc-a-2')]
  await waitFor(() => dedupes() === 3 && hold.held === 3)
  hold.release()
  await Promise.all([...first, ...second, ...third])
  t.equal(upstreamCalls(sim, 'ListBackups', { service_id: 'svc-a-1' }), 1, 'svc-a-1: every reader shared one call through both writes')
  t.equal(upstreamCalls(sim, 'ListBackups', { service_id: 'svc-a-2' }), 2, 'svc-a-2: shared through the policy write, asked again after the backup write')
  t.same(names(await third[1] as object), ['three', 'two'], 'the read asked after the write sees it')
})

t.test("an organization's list in flight is dropped by a delete of any service's backup (its services come from the answer), not by a policy write", async (t) => {
  const sim = await startSim(t)
  const hold = createGate()
  const { vbase } = await cachedVbase(t, sim, { wrap: hold.wrap })
  await createBackup(vbase, 'svc-a-1', 'one')
  const org = (): Promise<unknown> => vbase.call('ListBackupByOrg', { organization_id: ORG_A }, as(TOKENS.A))
  const dedupes = (): number => vbase.cacheStats()?.methods.ListBackupByOrg?.dedupes ?? 0

  hold.hold('ListBackupByOrg')
  const reads = [org()]
  await waitFor(() => hold.held === 1)
  await vbase.call('UpdateBackupPolicy', { service_id: 'svc-a-9', policy_id: '33333333-3333-4333-8333-333333333333', schedule_cron: '0 1 * * *', retention_count: 2 }, as(TOKENS.A)).catch(() => {})
  reads.push(org())
  await waitFor(() => dedupes() === 1)
  await vbase.call('DeleteBackup', { service_id: 'svc-a-1', backup_name: 'one' }, as(TOKENS.A))
  reads.push(org())
  await waitFor(() => hold.held === 2)
  hold.release()
  const answers = await Promise.all(reads)
  t.equal(upstreamCalls(sim, 'ListBackupByOrg'), 2, 'one call shared across the policy write, one more after the delete')
  t.same(names(answers[2] as object), [], 'the read asked after the delete does not list the deleted backup')
})

t.test('Redis down: a read asked on A after a write completed on B sees it, though A had the same read in flight', async (t) => {
  const env = { CACHE_REDIS_URL: REDIS_DOWN, LOG_LEVEL: 'error' }
  const sim = await startSim(t)
  const hold = createGate()
  const { vbase: a } = await cachedVbase(t, sim, { env, wrap: hold.wrap })
  const { vbase: b } = await cachedVbase(t, sim, { env })
  await createBackup(b, 'svc-a-1', 'old')

  hold.hold('ListBackups')
  const early = a.callWithMeta('ListBackups', { service_id: 'svc-a-1' }, as(TOKENS.A))
  await waitFor(() => hold.held === 1)
  await createBackup(b, 'svc-a-1', 'new')
  // The write completed on B, whose invalidation cannot reach A; the same caller reads through A.
  const late = a.callWithMeta('ListBackups', { service_id: 'svc-a-1' }, as(TOKENS.A))
  await waitFor(() => a.cacheStats()?.methods.ListBackups?.dedupes === 1)
  hold.release()
  t.same(names((await early).value), ['old'], 'the read that began before the write may answer without it')
  const res = await late
  t.same([names(res.value), res.meta.cache], [['new', 'old'], 'bypass'], 'the joiner asked again: with no stamp, no one can say the write did not come')
  t.equal(upstreamCalls(sim, 'ListBackups', { service_id: 'svc-a-1' }), 2)
})

t.test('a joiner that asks again is still answered within UPSTREAM_TIMEOUT_MS from when it asked', async (t) => {
  // Reads take 800 ms; the deadline is 1000 ms. The joiner asks just after the first read
  // began, learns at about 800 ms that it must ask again, and has about 200 ms left: a 504,
  // where a fresh full deadline for the second read would answer 200 after some 1600 ms.
  const env = { CACHE_REDIS_URL: REDIS_DOWN, UPSTREAM_TIMEOUT_MS: '1000', LOG_LEVEL: 'error' }
  const { app, sim } = await buildTestApp(t, { env, simulator: { tokens: SIM_TOKENS, seed: false, jobMs: 0 } })
  const url = '/v1/vbase/svc-a-1/backup'
  const auth = { authorization: `Bearer ${TOKENS.A}` }
  sim.faults.latencyMs = 800
  const owner = app.inject({ url, headers: auth })
  await waitFor(() => sim.callCount('ListBackups') === 1)
  const joiner = app.inject({ url, headers: auth })
  await waitFor(() => app.vbase.cacheStats()?.methods.ListBackups?.dedupes === 1)
  t.equal((await owner).statusCode, 200)
  const res = await joiner
  t.equal(res.statusCode, 504, `the joiner's deadline ran from when it asked (${res.statusCode} ${res.body})`)
  t.equal(sim.callCount('ListBackups'), 2, 'it did ask again')
})
