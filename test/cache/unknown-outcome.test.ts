/**
 * A write whose outcome is unknown (here: it timed out at the gateway) may
 * still be applied by the upstream afterwards. The cache invalidates what
 * it touches at once and once more UPSTREAM_TIMEOUT_MS later, so a list
 * read in between, without the write, is not served past that.
 */
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { waitFor } from '../helpers/app.js'
import { redisGate, useRedis } from '../helpers/redis.js'
import { as, cachedVbase, ORG_A, rejectsWith, startSim, TOKENS } from './fixtures/vbase.js'

const gate = await redisGate(t)
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

t.test('a replica that stops before its recheck is due runs it as it closes', gate, async (t) => {
  const sim = await startSim(t)
  const redis = await useRedis(t, 12)
  const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix, UPSTREAM_TIMEOUT_MS: '60000' }
  const a = await cachedVbase(t, sim, { env })
  const { vbase: b } = await cachedVbase(t, sim, { env })
  await b.call('CreateBackup', create('old'), as(TOKENS.A))
  sim.faults.latencyMs = 150
  const write = a.vbase.call('CreateBackup', create('new'), { ...as(TOKENS.A), timeoutMs: 50 })
  await waitFor(() => sim.callCount('CreateBackup') === 2)
  sim.faults.latencyMs = 0
  await rejectsWith(t, write, status.DEADLINE_EXCEEDED)
  // Replica B caches the list before the upstream applied the write; then it is applied.
  t.same(names((await b.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))).value), ['old'])
  // Another caller of the same organization sees the upstream apply it (its own entry; the first caller's stays).
  await waitFor(async () => names((await b.callWithMeta('ListBackups', { service_id: SVC }, { ...as(TOKENS.A2), noCache: true })).value).length === 2)
  const stale = await b.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.same([stale.meta.cache, names(stale.value)], ['hit', ['old']], 'B still serves the list from before the write')
  await a.setup.close()
  const after = await b.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.same([after.meta.cache, names(after.value)], ['miss', ['new', 'old']], 'A\'s close ran the recheck: B reads the list again')
})
