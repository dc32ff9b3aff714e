/**
 * PRINCIPAL_HASH_SECRET through real apps and the real Redis: replicas with
 * the same secret share entries, replicas with different secrets (or none)
 * do not, no Redis key holds the unkeyed principal once a secret is set, and
 * the boot warning says when principals in Redis are unkeyed, never quoting
 * the secret.
 */
import t from 'tap'
import { UNKEYED_PRINCIPALS_WARNING } from '../../src/app.js'
import { principalHasher } from '../../src/cache/keys.js'
import { DEV_TOKEN, startSimulator, type Simulator } from '../../src/simulator/index.js'
import { buildTestApp, type Teardownable, type TestApp } from '../helpers/app.js'
import { redisGate, useRedis } from '../helpers/redis.js'

/** The cache suites' database (see test/cache/redis.test.ts); each test has its own prefix. */
const REDIS_DB = 12
const gate = await redisGate(t)

const BEARER = `Bearer ${DEV_TOKEN}`
// The demo service whose jobs are all finished: its list keeps the full TTL.
const LIST = '/v1/vbase/svc-demo-analytics/backup'
const SECRET = 'principal-test-secret-3b9e1f'
const OTHER_SECRET = 'principal-test-secret-other-77'

async function sharedSim (t: Teardownable): Promise<Simulator> {
  const sim = await startSimulator({ port: 0 })
  t.teardown(() => sim.close())
  return sim
}

/** X-Cache of one REST read of LIST. */
async function xCache (app: TestApp): Promise<unknown> {
  const res = await app.app.inject({ url: LIST, headers: { authorization: BEARER } })
  return res.statusCode === 200 ? res.headers['x-cache'] : `status ${res.statusCode}`
}

const warnings = (logs: string[]): Array<{ level: number, msg: string }> =>
  logs.map((l) => JSON.parse(l) as { level: number, msg: string }).filter((l) => l.msg === UNKEYED_PRINCIPALS_WARNING)

t.test('two gateways with the same secret share an entry in Redis', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const sim = await sharedSim(t)
  const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix, PRINCIPAL_HASH_SECRET: SECRET }
  const [a, b] = [await buildTestApp(t, { sim, env }), await buildTestApp(t, { sim, env })]
  t.equal(await xCache(a), 'miss')
  t.equal(await xCache(b), 'hit', 'the second replica derives the same principal and finds the entry')
  t.equal(sim.callCount('ListBackups'), 1, 'one upstream call for both')
})

t.test('gateways with different secrets, or none, do not share entries', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const sim = await sharedSim(t)
  const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix }
  const apps = [
    await buildTestApp(t, { sim, env: { ...env, PRINCIPAL_HASH_SECRET: SECRET } }),
    await buildTestApp(t, { sim, env: { ...env, PRINCIPAL_HASH_SECRET: OTHER_SECRET } }),
    await buildTestApp(t, { sim, env })
  ]
  for (const [i, app] of apps.entries()) t.equal(await xCache(app), 'miss', `gateway ${i + 1} misses first`)
  for (const [i, app] of apps.entries()) t.equal(await xCache(app), 'hit', `then finds its own entry (gateway ${i + 1})`)
  t.equal(sim.callCount('ListBackups'), 3, 'one upstream call per secret')
  const entries = (await redis.keys()).filter((k) => k.includes(':e:ListBackups:'))
  t.equal(entries.length, 3, `three entries, one per principal (${entries.join(', ')})`)
})

t.test('with a secret, no Redis key or value holds the unkeyed principal, the token or the secret', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const app = await buildTestApp(t, {
    env: { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix, PRINCIPAL_HASH_SECRET: SECRET, RATE_LIMIT_SHARED: 'true' }
  })
  t.equal(await xCache(app), 'miss')
  const gql = await app.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: BEARER, 'content-type': 'application/json' },
    payload: { query: '{ service(id: "svc-demo-catalog") { backups { totalCount } policies { id } } }' }
  })
  t.equal(gql.json().errors, undefined, 'GraphQL reads went through the cache too')

  const keyed = principalHasher(SECRET)(BEARER)
  const unkeyed = principalHasher()(BEARER)
  const keys = await redis.keys()
  const values = await Promise.all(keys.map(async (k) => await redis.client.type(k) === 'string' ? await redis.client.get(k) ?? '' : ''))
  t.ok(keys.filter((k) => k.includes(`:e:`)).length >= 3, `entries of REST and GraphQL reads (${keys.length} keys)`)
  t.ok(keys.filter((k) => k.includes(':e:')).every((k) => k.includes(`:${keyed}:`)), 'every entry is under the keyed principal')
  t.ok(keys.includes(`${redis.prefix}rl:principal:${keyed}`), 'and so is the shared rate-limit counter')
  for (const [what, needle] of [['the unkeyed principal', unkeyed], ['the token', DEV_TOKEN], ['the secret', SECRET]] as const) {
    t.same(keys.filter((k, i) => k.includes(needle) || (values[i] ?? '').includes(needle)), [], `no key or value holds ${what}`)
  }
})

t.test('the boot warning: with Redis and no secret, once; not with a secret, nor without Redis; the secret in no log line', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const sim = await sharedSim(t)
  const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix, RATE_LIMIT_SHARED: 'true' }

  const unkeyed = await buildTestApp(t, { sim, env })
  const lines = warnings(unkeyed.logs)
  t.equal(lines.length, 1, 'one warning')
  t.equal(lines[0]?.level, 40, 'at warn')
  t.match(lines[0]?.msg, /principals in Redis keys are unkeyed hashes of the Authorization value.*set PRINCIPAL_HASH_SECRET \(the same value on every replica\)/)

  // At trace, so that every line the app can write about a boot and a request is there to search.
  const keyed = await buildTestApp(t, { sim, env: { ...env, PRINCIPAL_HASH_SECRET: SECRET, LOG_LEVEL: 'trace' } })
  t.equal(await xCache(keyed), 'miss')
  t.equal(await xCache(keyed), 'hit')
  t.same(warnings(keyed.logs), [], 'no warning with the secret set')
  t.equal(keyed.logs.filter((l) => l.includes('request completed')).length, 2, `the requests' lines were captured too (${keyed.logs.length} lines)`)
  t.same(keyed.logs.filter((l) => l.includes(SECRET)), [], 'the secret is in no log line')

  const memory = await buildTestApp(t, { sim })
  t.same(warnings(memory.logs), [], 'no warning without Redis: nothing leaves the process')
})
