/**
 * Two replicas sharing the real Redis: an invalidation replica A could not
 * write must reach Redis, where replica B sees it, without A serving another
 * request: when A's Redis client reconnects, on the guard's retry timer, and
 * at A's graceful close.
 */
import t from 'tap'
import type { Vbase } from '../../src/upstream/vbase.js'
import { waitFor } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { redisGate, startRedisProxy, useRedis } from '../helpers/redis.js'
import { as, cachedVbase, ORG_A, startSim, TOKENS } from './fixtures/vbase.js'

const REDIS_DB = 13
const gate = await redisGate(t)
const SVC = 'svc-a-1'

const create = (vbase: Vbase, name: string): Promise<unknown> =>
  vbase.call('CreateBackup', { service_id: SVC, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: name }, as(TOKENS.A))

async function list (vbase: Vbase): Promise<{ cache: string, names: string[] }> {
  const r = await vbase.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  return { cache: r.meta.cache, names: r.value.backups.map((b) => b.name).sort() }
}

/** B serves the list with the write A made, within a deadline: polled, B's reads never touch A. */
async function bSeesTheWrite (b: Vbase): Promise<{ cache: string, names: string[] }> {
  let last = await list(b)
  await waitFor(async () => {
    last = await list(b)
    return last.names.includes('new')
  }, 5000)
  return last
}

t.test('A is idle after Redis comes back: its reconnection writes the kept invalidation, B stops serving the old list', gate, async (t) => {
  // A's cache clock never moves: its retry window never ends on its own, so
  // only the reconnection ('ready') can have written the invalidation.
  const clock = new FakeClock()
  const sim = await startSim(t)
  const redis = await useRedis(t, REDIS_DB)
  const proxy = await startRedisProxy(t)
  const common = { CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_TIMEOUT_MS: '200' }
  const { vbase: a, setup: setupA } = await cachedVbase(t, sim, { env: { ...common, CACHE_REDIS_URL: proxy.url(REDIS_DB) }, now: () => clock.now() })
  const { vbase: b } = await cachedVbase(t, sim, { env: { ...common, CACHE_REDIS_URL: redis.url } })

  await create(b, 'old')
  t.equal((await list(b)).cache, 'miss')
  t.equal((await list(b)).cache, 'hit', 'B cached the list')

  await proxy.stop()
  await waitFor(() => setupA.redis?.status !== 'ready')
  await create(a, 'new')
  t.same(await list(b), { cache: 'hit', names: ['old'] }, "A's invalidation did not reach Redis: B still serves the old list")

  await proxy.start()
  const seen = await bSeesTheWrite(b)
  t.same(seen, { cache: 'miss', names: ['new', 'old'] }, 'B read the list again once A was reconnected, A serving nothing meanwhile')
  t.equal((await list(b)).cache, 'hit', 'and caches it again')
})

t.test('A is idle while its guard bypasses a reachable Redis: the retry timer writes the kept invalidation', gate, async (t) => {
  // A's retry window ends when the test says, however slow the write: until
  // then the timer, firing every 100 ms of real time, must leave Redis alone.
  const clock = new FakeClock()
  const sim = await startSim(t)
  const redis = await useRedis(t, REDIS_DB)
  const common = { CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_URL: redis.url }
  const { vbase: a, setup: setupA, logs } = await cachedVbase(t, sim, { env: common, now: () => clock.now(), retryAfterMs: 100 })
  const { vbase: b } = await cachedVbase(t, sim, { env: common })

  await create(b, 'old')
  await list(b)
  t.equal((await list(b)).cache, 'hit', 'B cached the list')

  // A connection error reported by A's client: A's guard bypasses Redis for
  // retryAfterMs, the connection itself stays up, so no 'ready' will come.
  setupA.redis?.emit('error', new Error('connection reset (test)'))
  t.notOk(a.cacheStats()?.available, "A's guard bypasses Redis")
  await create(a, 'new')
  t.same(await list(b), { cache: 'hit', names: ['old'] }, 'the invalidation was kept, not written')

  clock.advance(100) // the retry window is over; A serves nothing
  const seen = await bSeesTheWrite(b)
  t.same(seen, { cache: 'miss', names: ['new', 'old'] }, 'B read the list again, A serving nothing meanwhile')
  t.equal(logs.filter((l) => l.level === 'warn').length, 1, 'one line for the outage')
})

t.test('A closes gracefully with an invalidation kept: it is written before Redis is closed', gate, async (t) => {
  // A's clock never moves and Redis never reconnects: nothing but close writes it.
  const clock = new FakeClock()
  const sim = await startSim(t)
  const redis = await useRedis(t, REDIS_DB)
  const common = { CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_URL: redis.url }
  const { vbase: a, setup: setupA } = await cachedVbase(t, sim, { env: common, now: () => clock.now() })
  const { vbase: b } = await cachedVbase(t, sim, { env: common })

  await create(b, 'old')
  await list(b)
  t.equal((await list(b)).cache, 'hit', 'B cached the list')
  setupA.redis?.emit('error', new Error('connection reset (test)'))
  await create(a, 'new')
  t.same(await list(b), { cache: 'hit', names: ['old'] }, 'the invalidation was kept, not written')

  await t.resolves(setupA.close(), "A's cache closes")
  t.same(await list(b), { cache: 'miss', names: ['new', 'old'] }, 'B does not serve the list cached before the write')
})
