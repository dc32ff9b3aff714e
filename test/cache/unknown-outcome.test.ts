/**
 * A write whose outcome is unknown (here: it timed out at the gateway) may
 * still be applied by the upstream afterwards. The cache invalidates what
 * it touches at once and once more UPSTREAM_TIMEOUT_MS later, so a list
 * read in between, without the write, is not served past that.
 */
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { waitFor } from '../helpers/app.js'
import { as, cachedVbase, ORG_A, rejectsWith, startSim, TOKENS } from './fixtures/vbase.js'

const SVC = 'svc-a-1'
const names = (value: object): string[] => (value as { backups: Array<{ name: string }> }).backups.map((b) => b.name).sort()
const create = (name: string): object => ({ service_id: SVC, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: name })

t.test('a timed-out write that the upstream applies late is seen once the recheck has run', async (t) => {
  const sim = await startSim(t)
  // The recheck waits as long as an upstream call may take: short here.
  const { vbase } = await cachedVbase(t, sim, { env: { UPSTREAM_TIMEOUT_MS: '300' } })
  await vbase.call('CreateBackup', create('old'), as(TOKENS.A))
  // Only the next call is slow: the simulator takes its latency when a call arrives.
  sim.faults.latencyMs = 150
  const write = vbase.call('CreateBackup', create('new'), { ...as(TOKENS.A), timeoutMs: 50 })
  await waitFor(() => sim.callCount('CreateBackup') === 2)
  sim.faults.latencyMs = 0
  await rejectsWith(t, write, status.DEADLINE_EXCEEDED)

  // Read before the upstream applied it: the list without the write, cached.
  const between = await vbase.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.same(names(between.value), ['old'], 'the upstream had not applied the write yet')
  t.ok((between.meta.maxAgeMs ?? 0) > 0, 'and that list was cached')

  // The upstream applies the write, then the recheck invalidates the list.
  await waitFor(async () => names((await vbase.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))).value).length === 2, 5000)
  const after = await vbase.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.same(names(after.value), ['new', 'old'], 'the late write is visible through the cache')
})
