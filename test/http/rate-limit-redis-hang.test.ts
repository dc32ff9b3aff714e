/**
 * Shared rate-limit counters (RATE_LIMIT_SHARED) when Redis hangs: the
 * socket stays open and nothing answers (a partition, a stuck primary), as
 * the test proxy's `stall` makes it. A failure sets Redis aside for a retry
 * interval, as the cache's guard does, so the hang costs one command timeout
 * per interval rather than two per request; the commands that timed out do
 * not wait on the silent connection, and are not run when Redis resumes,
 * where they would count the hang's requests in a later window.
 *
 * The store's clock is injected (retry interval, fallback windows); the
 * client's command and socket timeouts are real, 100 and 200 ms.
 */
import type { Redis } from 'ioredis'
import t from 'tap'
import { closeRedisClient, createRedisClient } from '../../src/cache/redis.js'
import { sharedRateLimitStore } from '../../src/http/rate-limit-store.js'
import { buildTestApp, waitFor, type Teardownable } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { redisGate, startRedisProxy, useRedis, type RedisProxy, type TestRedis } from '../helpers/redis.js'

/** The rate-limit suites' database (see rate-limit-shared.test.ts). */
const REDIS_DB = 13
const gate = await redisGate(t)

const TIMEOUT_MS = 100
const RETRY_AFTER_MS = 1000
const WINDOW_MS = 60_000

type Store = InstanceType<ReturnType<typeof sharedRateLimitStore>>
interface Counted { current: number, ttl: number }
interface Setup {
  proxy: RedisProxy
  redis: TestRedis
  client: Redis
  clock: FakeClock
  /** The main limit's store and the per-IP limit's (a child, as createRateLimit makes it). */
  store: Store
  perIp: Store
  /** Counter updates sent to Redis, answered or not. */
  calls: () => number
  failures: Error[]
}

/** A store over a client made as the gateway makes it, through a proxy that can stall, counting what reaches the client. */
async function setup (t: Teardownable): Promise<Setup> {
  const proxy = await startRedisProxy(t)
  const redis = await useRedis(t, REDIS_DB)
  const client = createRedisClient({ url: proxy.url(REDIS_DB), commandTimeoutMs: TIMEOUT_MS, onError: () => {} })
  t.teardown(() => closeRedisClient(client))
  await waitFor(() => client.status === 'ready')
  const clock = new FakeClock()
  const failures: Error[] = []
  const Store = sharedRateLimitStore({ redis: client, prefix: redis.prefix, retryAfterMs: RETRY_AFTER_MS, now: () => clock.now(), onFailure: (err) => { failures.push(err) } })
  // The narrow seam: the script command the store defined on the client, wrapped to count its calls.
  const scripted = client as unknown as { vbgwRateLimit: (...args: unknown[]) => Promise<unknown> }
  const send = scripted.vbgwRateLimit.bind(client)
  let calls = 0
  scripted.vbgwRateLimit = (...args) => { calls++; return send(...args) }
  const store = new Store({})
  const perIp = store.child({ routeInfo: {} } as unknown as Parameters<Store['child']>[0]) as Store
  return { proxy, redis, client, clock, store, perIp, calls: () => calls, failures }
}

const incr = (store: Store, key: string): Promise<Counted> =>
  new Promise((resolve, reject) => store.incr(key, (err, res) => err === null && res !== undefined ? resolve(res) : reject(err), WINDOW_MS, 5))

/** One request's counting, as the gateway's two hooks do it: the principal's counter, then the address's. */
const request = async (s: Setup, principal: string): Promise<[Counted, Counted]> =>
  [await incr(s.store, `principal:${principal}`), await incr(s.perIp, 'ip:127.0.0.1')]

/** Commands written to the client's connection and not answered yet (ioredis keeps them in order to match replies). */
const queued = (client: Redis): number => (client as unknown as { commandQueue: { length: number } }).commandQueue.length

t.test('a hang costs one command timeout per retry interval, not one per counter of every request', gate, async (t) => {
  const s = await setup(t)
  await request(s, 'warm')
  t.equal(s.calls(), 2, 'healthy: both counters of a request are in Redis')

  s.proxy.stall(true)
  t.teardown(() => s.proxy.stall(false))
  const during: Array<[Counted, Counted]> = []
  for (let i = 0; i < 10; i++) during.push(await request(s, 'caller'))
  t.equal(s.calls(), 3, 'ten requests during the hang: one update asked Redis, the per-IP counter of the same request already did not')
  t.equal(s.failures.length, 1, 'one failure, so one timeout')
  t.match(s.failures[0]?.message, /timed out/)
  t.same(during.map(([p]) => p.current), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each request counted in the process meanwhile')
  t.same(during.map(([, ip]) => ip.current), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'its address too, apart')

  await Promise.all(Array.from({ length: 50 }, (_, i) => request(s, `concurrent-${i}`)))
  t.equal(s.calls(), 3, 'fifty concurrent requests within the interval: none asked Redis')

  s.clock.advance(RETRY_AFTER_MS)
  await Promise.all(Array.from({ length: 50 }, (_, i) => request(s, `next-${i}`)))
  t.equal(s.calls(), 4, 'the interval over, fifty concurrent requests: one tried Redis again, the others counted in the process')
  t.equal(s.failures.length, 2)

  s.clock.advance(RETRY_AFTER_MS / 2)
  await request(s, 'caller')
  t.equal(s.calls(), 4, 'and the failed try set Redis aside for another interval')

  s.proxy.stall(false)
  await waitFor(() => s.client.status === 'ready')
  s.clock.advance(RETRY_AFTER_MS)
  t.match(await incr(s.store, 'principal:after'), { current: 1 }, 'Redis answers again')
  for (let i = 0; i < 3; i++) await request(s, 'after')
  t.equal(s.calls(), 5 + 6, 'and every counter is in Redis again')
  t.equal(await s.redis.client.get(`${s.redis.prefix}rl:principal:after`), '4', 'shared: the count is Redis\'s')
})

t.test('commands that timed out do not pile up on the hung connection, nor run when Redis resumes', gate, async (t) => {
  const s = await setup(t)
  s.proxy.stall(true)
  t.teardown(() => s.proxy.stall(false))
  // The hang's first moment: the store has seen no failure yet, so all of these are sent, and all time out.
  const first = await Promise.all(Array.from({ length: 1000 }, (_, i) => incr(s.store, `k${i}`)))
  t.ok(first.every((c) => c.current === 1), 'each counted in the process')
  t.equal(s.calls(), 1000)
  // Then as many requests again, in four later intervals.
  for (let round = 0; round < 4; round++) {
    s.clock.advance(RETRY_AFTER_MS)
    await Promise.all(Array.from({ length: 1000 }, (_, i) => incr(s.store, `k${i}`)))
  }
  t.equal(s.calls(), 1004, 'one try per interval after the first failure')
  // The client reconnects meanwhile (to the proxy, which accepts and then holds the handshake too).
  const dropped = await waitFor(() => s.client.status !== 'ready' && queued(s.client) <= 5, 2000).then(() => true, () => false)
  t.ok(dropped, `the silent connection was dropped with what it held (now ${queued(s.client)} commands waiting, status ${s.client.status})`)

  s.proxy.stall(false)
  await waitFor(() => s.client.status === 'ready')
  s.clock.advance(RETRY_AFTER_MS)
  t.match(await incr(s.store, 'k0'), { current: 1 }, 'Redis resumed: the first request it counts is the first of its window there')
  const keys = (await s.redis.keys()).filter((k) => k.startsWith(`${s.redis.prefix}rl:`))
  t.same(keys, [`${s.redis.prefix}rl:k0`], 'none of the hang\'s commands ran late')
})

t.test('a caller within its limit through a hang is not refused once Redis resumes', gate, async (t) => {
  const s = await setup(t)
  const MAX = 3
  s.proxy.stall(true)
  t.teardown(() => s.proxy.stall(false))
  // Three windows of the hang, each with exactly the limit's requests.
  const during: number[] = []
  for (let w = 0; w < 3; w++) {
    for (let i = 0; i < MAX; i++) during.push((await incr(s.store, 'principal:steady')).current)
    s.clock.advance(WINDOW_MS)
  }
  t.same(during, [1, 2, 3, 1, 2, 3, 1, 2, 3], 'counted in the process: within the limit in every window')
  // Resume only once the connection that held the timed-out commands is gone (if it ever goes).
  t.ok(await waitFor(() => s.client.status !== 'ready', 2000).then(() => true, () => false), 'the silent connection was dropped')

  s.proxy.stall(false)
  await waitFor(() => s.client.status === 'ready')
  const after = await incr(s.store, 'principal:steady')
  t.equal(after.current, 1, 'the first request after the hang starts the caller\'s window in Redis, not its tenth')
  t.ok(after.current <= MAX, 'so it is allowed')
  t.equal(await s.redis.client.get(`${s.redis.prefix}rl:principal:steady`), '1')
})

t.test('through the gateway: requests during a hang do not each wait out two command timeouts', gate, async (t) => {
  const proxy = await startRedisProxy(t)
  const redis = await useRedis(t, REDIS_DB)
  const timeoutMs = 200
  const { app, logs } = await buildTestApp(t, {
    env: { RATE_LIMIT_MAX: '1000', RATE_LIMIT_SHARED: 'true', CACHE_REDIS_URL: proxy.url(REDIS_DB), CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_TIMEOUT_MS: String(timeoutMs) }
  })
  const ask = async (): Promise<number> => (await app.inject({ url: '/openapi.json', headers: { authorization: 'Bearer hang-token' } })).statusCode
  t.equal(await ask(), 200)
  t.equal(await redis.client.get(`${redis.prefix}rl:own:ip:127.0.0.1`), '1', 'counted in Redis')

  proxy.stall(true)
  t.teardown(() => proxy.stall(false))
  const n = 20
  const started = Date.now()
  const statuses: number[] = []
  for (let i = 0; i < n; i++) statuses.push(await ask())
  const elapsed = Date.now() - started
  t.same(statuses, Array(n).fill(200), 'answered, counted in the process')
  // Before, each request waited out both of its counters' timeouts: 2 x n x 200 ms = 8 s. Now one
  // timeout, then one try a second (which fails at once, the connection being down). The bound is
  // half of what the requests took before, far above what they take now.
  t.ok(elapsed < n * timeoutMs, `${n} requests during the hang took ${elapsed} ms (two timeouts each would be ${2 * n * timeoutMs} ms)`)
  t.equal(logs.filter((l) => l.includes('rate-limit counters unavailable')).length, 1, 'one warning')
})
