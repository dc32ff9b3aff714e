/**
 * Read-your-writes across replicas sharing Redis, for reads that share an
 * in-flight call. A write through replica B invalidates in Redis; replica A
 * learns of it only through Redis. A read on A asked after B's write
 * completed must not be answered by a read A had in flight since before the
 * write: it joins it, sees that its answer was superseded, and asks again.
 * Callers who share a read that no write touched still make one call.
 */
import t from 'tap'
import type { Vbase } from '../../src/upstream/vbase.js'
import { waitFor } from '../helpers/app.js'
import { redisGate, useRedis } from '../helpers/redis.js'
import { as, cachedVbase, createGate, ORG_A, startSim, TOKENS, upstreamCalls } from './fixtures/vbase.js'

/** The cache suites' database (see redis.test.ts); each test has its own prefix. */
const REDIS_DB = 12
const gate = await redisGate(t)
const SVC = 'svc-a-1'

const create = async (vbase: Vbase, name: string): Promise<unknown> =>
  await vbase.call('CreateBackup', { service_id: SVC, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: name }, as(TOKENS.A))
const names = (value: object): string[] => (value as { backups: Array<{ name: string }> }).backups.map((b) => b.name).sort()

t.test('a read on replica A asked after a write completed on replica B sees the write, though A had the same read in flight', gate, async (t) => {
  const sim = await startSim(t)
  const redis = await useRedis(t, REDIS_DB)
  const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix }
  const hold = createGate()
  const { vbase: a } = await cachedVbase(t, sim, { env, wrap: hold.wrap })
  const { vbase: b } = await cachedVbase(t, sim, { env })
  await create(b, 'old')

  // A's read has its upstream answer, taken before the write, and is held there.
  hold.hold('ListBackups')
  const early = a.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  await waitFor(() => hold.held === 1)
  await create(b, 'new')
  // The write has completed and is invalidated in Redis; the same caller now reads through A.
  const late = a.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  await waitFor(() => a.cacheStats()?.methods.ListBackups?.dedupes === 1)
  t.equal(upstreamCalls(sim, 'ListBackups', { service_id: SVC }), 1, 'the late read joined the one in flight')
  hold.release()

  const first = await early
  t.same(names(first.value), ['old'], 'the read that began before the write may answer without it')
  t.equal(first.meta.maxAgeMs, 0, 'and is not stored')
  const second = await late
  t.same(names(second.value), ['new', 'old'], 'the read asked after the write sees it')
  t.equal(upstreamCalls(sim, 'ListBackups', { service_id: SVC }), 2, 'by asking the upstream again')
  t.ok((second.meta.maxAgeMs ?? 0) > 0, 'and that answer is stored')
  const third = await a.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.same([names(third.value), third.meta.cache], [['new', 'old'], 'hit'], 'the next read is a hit on the fresh answer')
})

t.test('readers sharing a read that no write touched make one upstream call', gate, async (t) => {
  const sim = await startSim(t)
  const redis = await useRedis(t, REDIS_DB)
  const hold = createGate()
  const { vbase: a } = await cachedVbase(t, sim, { env: { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix }, wrap: hold.wrap })
  await create(a, 'only')
  hold.hold('ListBackups')
  const reads = [0, 1, 2].map(() => a.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A)))
  await waitFor(() => hold.held === 1 && a.cacheStats()?.methods.ListBackups?.dedupes === 2)
  hold.release()
  for (const read of await Promise.all(reads)) t.same(names(read.value), ['only'])
  t.equal(upstreamCalls(sim, 'ListBackups', { service_id: SVC }), 1)
})
