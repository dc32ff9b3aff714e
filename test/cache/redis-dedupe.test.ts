/**
 * Read-your-writes across replicas sharing Redis, for reads that share an
 * in-flight call. A write through replica B invalidates in Redis; replica A
 * learns of it only through Redis. A read on A asked after B's write
 * completed must not be answered by a read A had in flight since before the
 * write: it joins it, sees that its answer was superseded, and asks again.
 * Callers who share a read that no write touched still make one call.
 */
import t, { type Test } from 'tap'
import { createRedisStorage } from '../../src/cache/redis.js'
import type { StoredEntry } from '../../src/cache/storage.js'
import type { Simulator } from '../../src/simulator/index.js'
import type { Vbase } from '../../src/upstream/vbase.js'
import { waitFor } from '../helpers/app.js'
import { redisGate, useRedis, type TestRedis } from '../helpers/redis.js'
import { as, cachedVbase, createGate, ORG_A, startSim, TOKENS, upstreamCalls, type Gate } from './fixtures/vbase.js'

/** The cache suites' database (see redis.test.ts); each test has its own prefix. */
const REDIS_DB = 12
const gate = await redisGate(t)
const SVC = 'svc-a-1'

const create = async (vbase: Vbase, name: string): Promise<unknown> =>
  await vbase.call('CreateBackup', { service_id: SVC, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: name }, as(TOKENS.A))
const names = (value: object): string[] => (value as { backups: Array<{ name: string }> }).backups.map((b) => b.name).sort()

/** Replicas A (its answers can be held) and B on one Redis and one simulator, and a backup 'old' made through B. */
async function twoReplicas (t: Test): Promise<{ sim: Simulator, redis: TestRedis, hold: Gate, a: Vbase, b: Vbase }> {
  const sim = await startSim(t)
  const redis = await useRedis(t, REDIS_DB)
  const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix }
  const hold = createGate()
  const { vbase: a } = await cachedVbase(t, sim, { env, wrap: hold.wrap })
  const { vbase: b } = await cachedVbase(t, sim, { env })
  await create(b, 'old')
  return { sim, redis, hold, a, b }
}

t.test('a read on replica A asked after a write completed on replica B sees the write, though A had the same read in flight', gate, async (t) => {
  const { sim, hold, a, b } = await twoReplicas(t)

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

t.test('Redis reset under a read in flight (restarted empty, FLUSHALL, a lagging replica promoted): the read is not stored, and a later write is seen', gate, async (t) => {
  const { redis, hold, a, b } = await twoReplicas(t)
  // Ordinary traffic moves the shared sequence on.
  for (let i = 0; i < 5; i++) await b.call('CreateBackup', { service_id: 'svc-a-2', organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: `other-${i}` }, as(TOKENS.A))
  t.equal(Number(await redis.client.get(`${redis.prefix}seq`)), 6)

  // A's read is stamped 6 and has its upstream answer; then Redis loses everything of this gateway's.
  hold.hold('ListBackups')
  const early = a.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  await waitFor(() => hold.held === 1)
  await redis.client.del(...await redis.keys())
  hold.release()
  const first = await early
  t.same(names(first.value), ['old'], 'the read is answered')
  t.equal(first.meta.maxAgeMs, 0, 'but not stored: its stamp is above the sequence Redis has now')
  t.same(await redis.keys(), [], 'nothing was written')

  // The sequence starts over at 1, below the old stamp: the write must still hide what A would have stored.
  await create(b, 'new')
  t.equal(Number(await redis.client.get(`${redis.prefix}seq`)), 1, 'the sequence went back')
  const after = await a.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.same([names(after.value), after.meta.cache], [['new', 'old'], 'miss'], 'the caller sees its write')
})

t.test('an entry whose stamp is above the sequence (the sequence lost, entries kept) is never served', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const storage = createRedisStorage({ client: redis.client, prefix: redis.prefix, versionTtlMs: 60_000 })
  const entry = (stamp: number): StoredEntry => ({ body: '{}', etag: '"e"', expiresAt: 1e15, stamp, refs: ['backups:s1'] })
  await storage.invalidate(['backups:other'])
  await storage.invalidate(['backups:other'])
  t.equal(await storage.sequence(), 2)
  t.equal(await storage.set('k', entry(2), 60_000), 'stored', 'a stamp at the sequence is stored')
  t.equal(await storage.set('k3', entry(3), 60_000), 'superseded', 'a stamp above the sequence is not')
  t.ok(await storage.get('k'), 'and served')
  await redis.client.del(`${redis.prefix}seq`)
  t.equal(await storage.get('k'), undefined, 'once the sequence is behind its stamp, it is a miss')
  // (Once writes take the sequence past the stamp again it could pass: the sequence key has no
  // TTL, so the documented eviction policies, noeviction and volatile-ttl, never drop it alone.)
})
