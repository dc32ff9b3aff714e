/**
 * Rate limits across replicas: with CACHE_REDIS_URL and RATE_LIMIT_SHARED
 * set, the counters live in Redis, so two gateways in front of the same
 * Redis give a caller one budget, not one each. While Redis is down or hangs, each replica counts
 * alone (never unlimited, never an error), and counting is shared again once
 * Redis is back. Keys name the principal's hash, never the token; with
 * PRINCIPAL_HASH_SECRET set, the keyed hash.
 */
import { Redis } from 'ioredis'
import t from 'tap'
import { principalHasher } from '../../src/cache/keys.js'
import { LocalCounters, sharedRateLimitStore } from '../../src/http/rate-limit-store.js'
import { startSimulator } from '../../src/simulator/index.js'
import { buildTestApp, waitFor, type Teardownable, type TestApp } from '../helpers/app.js'
import { redisGate, startRedisProxy, TEST_REDIS, useRedis } from '../helpers/redis.js'

/** The test suites' databases: 11 and 12 for the cache, 13 here (14 and 15 are the bench's). */
const REDIS_DB = 13
const gate = await redisGate(t)

/** A route that needs no upstream: what is counted is the request, whatever it asks. */
const PATH = '/openapi.json'
const TOKEN = 'rate-limit-test-token-6f0c'

/** Two gateways on one simulator, as two replicas behind a load balancer. */
async function replicas (t: Teardownable, env: Record<string, string>): Promise<[TestApp, TestApp]> {
  const sim = await startSimulator({ port: 0 })
  t.teardown(() => sim.close())
  return [await buildTestApp(t, { sim, env }), await buildTestApp(t, { sim, env })]
}
const ask = async (app: TestApp, token = TOKEN): Promise<{ status: number, remaining: string | undefined }> => {
  const res = await app.app.inject({ url: PATH, headers: { authorization: `Bearer ${token}` } })
  return { status: res.statusCode, remaining: res.headers['x-ratelimit-remaining'] as string | undefined }
}
const unavailable = (logs: string[]): number => logs.filter((l) => l.includes('rate-limit counters unavailable')).length

t.test('two replicas on one Redis give a caller one budget', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const [a, b] = await replicas(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_SHARED: 'true', CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix })
  t.same(await ask(a), { status: 200, remaining: '2' })
  t.same(await ask(b), { status: 200, remaining: '1' }, 'the second replica counts on from the first')
  t.same(await ask(a), { status: 200, remaining: '0' })
  t.equal((await ask(b)).status, 429, 'the fourth request is refused, whichever replica gets it')
  t.equal((await ask(a)).status, 429)
  t.same(await ask(b, 'another-token'), { status: 200, remaining: '2' }, 'another caller has its own budget')

  const keys = await redis.keys()
  const counters = keys.filter((k) => k.startsWith(`${redis.prefix}rl:`))
  t.ok(counters.some((k) => /rl:principal:[0-9a-f]{32}$/.test(k)), `a counter per principal hash (${counters.join(', ')})`)
  t.ok(counters.includes(`${redis.prefix}rl:own:ip:127.0.0.1`), 'and the per-IP limit\'s counter, apart from the main limit\'s')
  for (const key of counters) {
    t.notOk(key.includes(TOKEN), `no token in ${key}`)
    const ttl = await redis.client.pttl(key)
    t.ok(ttl > 0 && ttl <= 60_000, `${key} expires with its window (${ttl} ms)`)
  }
  t.equal(unavailable(a.logs) + unavailable(b.logs), 0, 'nothing to warn about')
})

t.test('a GraphQL batch counts once per operation in the shared counters too', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const [a, b] = await replicas(t, { RATE_LIMIT_MAX: '4', RATE_LIMIT_SHARED: 'true', CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix })
  const batch = (app: TestApp, n: number) => app.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    payload: Array.from({ length: n }, () => ({ query: '{ __typename }' }))
  })
  const three = await batch(a, 3)
  t.equal(three.statusCode, 200)
  t.equal(three.headers['x-ratelimit-remaining'], '1')
  t.same(await ask(b), { status: 200, remaining: '0' }, 'the other replica counts on from the batch\'s three')
  t.equal((await batch(b, 2)).statusCode, 429)
})

t.test('with PRINCIPAL_HASH_SECRET the shared counter is keyed by the HMAC principal, the same on both replicas', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const secret = 'rate-limit-shared-secret-5e1b'
  const [a, b] = await replicas(t, { RATE_LIMIT_MAX: '2', RATE_LIMIT_SHARED: 'true', CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix, PRINCIPAL_HASH_SECRET: secret })
  t.same(await ask(a), { status: 200, remaining: '1' })
  t.same(await ask(b), { status: 200, remaining: '0' }, 'one budget: both replicas derive the same principal')
  t.equal((await ask(a)).status, 429)

  const keyed = `${redis.prefix}rl:principal:${principalHasher(secret)(`Bearer ${TOKEN}`)}`
  const unkeyed = principalHasher()(`Bearer ${TOKEN}`)
  const counters = (await redis.keys()).filter((k) => k.startsWith(`${redis.prefix}rl:`))
  t.ok(counters.includes(keyed), `the counter is under the keyed principal (${counters.join(', ')})`)
  t.same(counters.filter((k) => k.includes(unkeyed)), [], 'no key holds the unkeyed principal')
  t.ok(a.logs.concat(b.logs).every((l) => !l.includes(secret)), 'the secret is in no log line')
})

t.test('by default, and with RATE_LIMIT_SHARED=false, each replica counts alone and nothing goes to Redis', gate, async (t) => {
  for (const shared of [undefined, 'false']) {
    const redis = await useRedis(t, REDIS_DB)
    const [a, b] = await replicas(t, { RATE_LIMIT_MAX: '2', CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix, ...(shared === undefined ? {} : { RATE_LIMIT_SHARED: shared }) })
    for (const app of [a, a, b, b]) t.equal((await ask(app)).status, 200)
    t.equal((await ask(a)).status, 429)
    t.equal((await ask(b)).status, 429)
    t.same((await redis.keys()).filter((k) => k.startsWith(`${redis.prefix}rl:`)), [], `RATE_LIMIT_SHARED=${shared ?? '(unset)'}`)
  }
})

t.test('while Redis is down each replica counts alone; shared again once it is back', gate, async (t) => {
  const proxy = await startRedisProxy(t)
  const redis = await useRedis(t, REDIS_DB)
  const [a, b] = await replicas(t, { RATE_LIMIT_MAX: '2', RATE_LIMIT_SHARED: 'true', CACHE_REDIS_URL: proxy.url(REDIS_DB), CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_TIMEOUT_MS: '200' })
  t.equal((await ask(a)).status, 200, 'counted in Redis')

  await proxy.stop()
  // The first replica has one request left in Redis, but counts from zero in the process now.
  for (const app of [a, a, b, b]) t.equal((await ask(app, 'during-token')).status, 200, 'limited, not refused nor failed')
  t.equal((await ask(a, 'during-token')).status, 429, 'the limit still holds on each replica')
  t.equal((await ask(b, 'during-token')).status, 429)
  t.equal(unavailable(a.logs), 1, 'one warning per replica for the whole outage')
  t.equal(unavailable(b.logs), 1)
  t.ok(a.logs.concat(b.logs).every((l) => !l.includes('during-token')), 'no token in the logs')

  await proxy.start()
  // ioredis reconnects on its own: a fresh caller's counter shows up in Redis once each replica has.
  for (const [app, token] of [[a, 'probe-a'], [b, 'probe-b']] as const) {
    const key = `${redis.prefix}rl:principal:${principalHasher()(`Bearer ${token}`)}`
    await waitFor(async () => {
      await ask(app, token)
      return await redis.client.exists(key) === 1
    })
  }
  const [first, second, third] = [await ask(a, 'after-token'), await ask(b, 'after-token'), await ask(a, 'after-token')]
  t.same([first.status, second.status, third.status], [200, 200, 429], 'one budget across replicas again')
})

t.test('a database index Redis refuses: each replica counts alone, nothing in database 0, the warning says why', gate, async (t) => {
  // The test Redis has 16 databases: index 99 is refused. The prefix is claimed in database 0,
  // where the counters would land if the refusal were ignored (and are deleted then).
  const db0 = await useRedis(t, 0)
  const [a, b] = await replicas(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_SHARED: 'true', CACHE_REDIS_URL: `${TEST_REDIS}/99`, CACHE_REDIS_PREFIX: db0.prefix, CACHE_ERROR_LOG_MS: '600000' })
  // Both replicas' first connections answered (refused, or used in database 0 if the refusal were ignored).
  await waitFor(() => unavailable(a.logs) >= 1 && unavailable(b.logs) >= 1)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.same(await ask(a), { status: 200, remaining: '2' })
  t.same(await ask(b), { status: 200, remaining: '2' }, 'the second replica counts alone')
  t.same(await ask(a), { status: 200, remaining: '1' }, 'and so does the first')
  t.same(await db0.keys(), [], 'no key of this prefix in database 0')
  const warnings = a.logs.concat(b.logs).filter((l) => l.includes('rate-limit counters unavailable'))
  t.equal(warnings.length, 2, 'one warning per replica')
  t.ok(warnings.every((l) => l.includes('Redis refused database index 99 (ERR DB index is out of range)')), 'saying the database index was refused')
})

t.test('a Redis that hangs costs a request its command timeout, then counts in the process', gate, async (t) => {
  const proxy = await startRedisProxy(t)
  const redis = await useRedis(t, REDIS_DB)
  const [a] = await replicas(t, { RATE_LIMIT_MAX: '1', RATE_LIMIT_SHARED: 'true', CACHE_REDIS_URL: proxy.url(REDIS_DB), CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_TIMEOUT_MS: '100' })
  t.equal((await ask(a, 'warm-token')).status, 200, 'connected')
  proxy.stall(true)
  t.teardown(() => proxy.stall(false))
  t.equal((await ask(a, 'stall-token')).status, 200, 'answered, not held')
  t.equal((await ask(a, 'stall-token')).status, 429, 'and still limited')
  t.equal(unavailable(a.logs), 1)
})

t.test('a limiter with limits of its own counts apart', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const client = new Redis(redis.url)
  t.teardown(() => client.quit())
  const Store = sharedRateLimitStore({ redis: client, prefix: redis.prefix, onFailure: (err) => t.fail(err.message) })
  const store = new Store({})
  const child = store.child({ routeInfo: { method: 'GET', url: '/x' } } as unknown as Parameters<typeof store.child>[0])
  const incr = (s: typeof store): Promise<unknown> => new Promise((resolve, reject) => s.incr('k', (err, res) => err === null ? resolve(res) : reject(err), 60_000, 5))
  t.match(await incr(store), { current: 1 })
  t.match(await incr(child), { current: 1 }, 'its own counter')
  t.match(await incr(store), { current: 2 })
  const own = store.child({ routeInfo: {} } as unknown as Parameters<typeof store.child>[0])
  t.match(await incr(own), { current: 1 }, 'a limiter without a route (createRateLimit) too')
  t.same((await redis.keys()).sort(), [`${redis.prefix}rl:GET/x:k`, `${redis.prefix}rl:k`, `${redis.prefix}rl:own:k`])
})

t.test('the fallback counters: fixed windows, bounded', async (t) => {
  let now = 1_000
  const counters = new LocalCounters(2, () => now)
  t.same(counters.incr('a', 100), { current: 1, ttl: 100 })
  now += 40
  t.same(counters.incr('a', 100), { current: 2, ttl: 60 }, 'same window')
  now += 60
  t.same(counters.incr('a', 100), { current: 1, ttl: 100 }, 'a new window once it ended')
  counters.incr('b', 100)
  counters.incr('c', 100)
  t.equal(counters.size, 2, 'the oldest key goes past the bound')
  t.same(counters.incr('a', 100), { current: 1, ttl: 100 }, 'the evicted key starts over')
})
