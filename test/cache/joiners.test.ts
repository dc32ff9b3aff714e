/**
 * Callers who join a read in flight. A write drops from sharing only the
 * reads it may change; a joiner whose shared answer comes back superseded
 * (a write on another replica, through Redis) asks again, within its
 * deadline counted from when it asked; with Redis down, joiners share.
 */
import t from 'tap'
import type { Vbase } from '../../src/upstream/vbase.js'
import { buildTestApp, waitFor } from '../helpers/app.js'
import { redisGate, useRedis } from '../helpers/redis.js'
import { as, cachedVbase, createGate, ORG_A, SIM_TOKENS, startSim, TOKENS, upstreamCalls } from './fixtures/vbase.js'

/** Nothing listens on port 1: every Redis command fails at once. */
const REDIS_DOWN = 'redis://127.0.0.1:1/9'
/** The cache suites' database (see redis.test.ts); each test has its own prefix. */
const REDIS_DB = 12
const gate = await redisGate(t)
const names = (value: object): string[] => (value as { backups: Array<{ name: string }> }).backups.map((b) => b.name).sort()
const createBackup = async (vbase: Vbase, service: string, name: string): Promise<unknown> =>
  await vbase.call('CreateBackup', { service_id: service, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: name }, as(TOKENS.A))

t.test('a write drops from sharing only the reads in flight it may change', async (t) => {
  const sim = await startSim(t)
  const hold = createGate()
  const { vbase } = await cachedVbase(t, sim, { wrap: hold.wrap })
  await createBackup(vbase, 'svc-a-1', 'one')
  await createBackup(vbase, 'svc-a-2', 'two')
  const list = (service: string): Promise<unknown> => vbase.call('ListBackups', { service_id: service }, as(TOKENS.A))
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

t.test('Redis down: concurrent identical reads share one call, and every caller is answered', async (t) => {
  // Reads take 600 ms against a 1000 ms deadline: a joiner made to ask again would have too
  // little left (the 504s 9f9a2f2 caused before this was undone).
  const env = { CACHE_REDIS_URL: REDIS_DOWN, UPSTREAM_TIMEOUT_MS: '1000', LOG_LEVEL: 'error' }
  const { app, sim } = await buildTestApp(t, { env, simulator: { tokens: SIM_TOKENS, seed: false, jobMs: 0 } })
  sim.faults.latencyMs = 600
  const answers = await Promise.all(Array.from({ length: 10 }, () => app.inject({ url: '/v1/vbase/svc-a-1/backup', headers: { authorization: `Bearer ${TOKENS.A}` } })))
  t.same(answers.map((a) => a.statusCode), Array(10).fill(200))
  t.equal(sim.callCount('ListBackups'), 1, 'one upstream call')
})

t.test('a joiner that asks again is still answered within UPSTREAM_TIMEOUT_MS from when it asked', gate, async (t) => {
  // Reads take 800 ms; the deadline is 1000 ms. The joiner asks on A just after A's first read
  // began and after a write on B completed: at about 800 ms it learns the shared answer is
  // stale and asks again, with about 200 ms left: a 504, where a fresh full deadline for the
  // second read would answer 200 after some 1600 ms.
  const redis = await useRedis(t, REDIS_DB)
  const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_TIMEOUT_MS: '1000', UPSTREAM_TIMEOUT_MS: '1000', LOG_LEVEL: 'error' }
  const { app, sim } = await buildTestApp(t, { env, simulator: { tokens: SIM_TOKENS, seed: false, jobMs: 0 } })
  const { app: other } = await buildTestApp(t, { env, sim })
  const url = '/v1/vbase/svc-a-1/backup'
  const auth = { authorization: `Bearer ${TOKENS.A}` }
  const create = (name: string) => other.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload: { organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: name } })
  t.equal((await create('old')).statusCode, 200)
  sim.faults.latencyMs = 800
  const owner = app.inject({ url, headers: auth })
  await waitFor(() => sim.callCount('ListBackups') === 1)
  sim.faults.latencyMs = 0
  t.equal((await create('new')).statusCode, 200, 'the write completed on the other replica')
  sim.faults.latencyMs = 800
  const joiner = app.inject({ url, headers: auth })
  await waitFor(() => app.vbase.cacheStats()?.methods.ListBackups?.dedupes === 1)
  t.equal((await owner).statusCode, 200)
  const res = await joiner
  t.equal(res.statusCode, 504, `the joiner's deadline ran from when it asked (${res.statusCode} ${res.body})`)
  t.equal(sim.callCount('ListBackups'), 2, 'it did ask again')
})
