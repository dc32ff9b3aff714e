/**
 * The Redis storage against the real Redis: tenant isolation, no raw token
 * in any key or value, the database index of the URL, and failure: a closed
 * port, a Redis that stops mid-test and comes back, a Redis that hangs. The
 * cache never fails a request; it logs once per interval and recovers.
 */
import { status } from '@grpc/grpc-js'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { Redis } from 'ioredis'
import t from 'tap'
import { closeRedisClient, createRedisClient } from '../../src/cache/redis.js'
import type { Vbase } from '../../src/upstream/vbase.js'
import { buildTestApp, waitFor } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { redisGate, startRedisProxy, TEST_REDIS, useRedis } from '../helpers/redis.js'
import { as, cachedVbase, type CapturedLog, ORG_A, ORG_B, rejectsWith, SIM_TOKENS, startSim, TOKENS, upstreamCalls } from './fixtures/vbase.js'

const REDIS_DB = 12
const gate = await redisGate(t)
const A1 = 'svc-a-1'
const B1 = 'svc-b-1'

async function seed (vbase: Vbase): Promise<void> {
  await vbase.call('CreateBackup', { service_id: A1, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: 'a-1' }, as(TOKENS.A))
  await vbase.call('CreateBackup', { service_id: B1, organization_id: ORG_B, db_name: 'db', collection_names: ['c'], backup_name: 'b-1' }, as(TOKENS.B))
}

const unavailable = (logs: Array<{ msg: string }>): number => logs.filter((l) => l.msg.startsWith('cache storage unavailable')).length

t.test('tenant isolation in Redis; no raw token in keys or values; the database index is honored', gate, async (t) => {
  const redis = await useRedis(t, REDIS_DB)
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim, { env: { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix } })
  await seed(vbase)
  sim.resetCalls()

  t.equal((await vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))).meta.cache, 'miss')
  t.equal((await vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))).meta.cache, 'hit')
  for (let i = 0; i < 2; i++) {
    await rejectsWith(t, vbase.call('ListBackups', { service_id: A1 }, as(TOKENS.B)), status.PERMISSION_DENIED)
  }
  t.equal(upstreamCalls(sim, 'ListBackups', { service_id: A1 }, TOKENS.B), 2, "B's requests reached the upstream with B's token")
  const own = await vbase.callWithMeta('ListBackups', { service_id: B1 }, as(TOKENS.B))
  t.same(own.value.backups.map((b) => b.name), ['b-1'])
  t.equal((await vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A2))).meta.cache, 'miss', 'another principal of the same org')
  await vbase.call('ListBackupByOrg', { organization_id: ORG_A }, as(TOKENS.A))

  const keys = await redis.keys()
  t.ok(keys.some((k) => k.includes(':e:ListBackups:')), 'entries are in the database of the URL')
  t.ok(keys.includes(`${redis.prefix}seq`), 'and so is the shared sequence')
  const db0 = new Redis(TEST_REDIS)
  t.teardown(() => db0.quit())
  t.same(await db0.keys(`${redis.prefix}*`), [], 'nothing in database 0')

  const secrets = [...Object.values(TOKENS), 'Bearer']
  const values = await Promise.all(keys.map((k) => redis.client.get(k)))
  const leaks = keys.filter((key, i) => secrets.some((s) => key.includes(s) || (values[i] ?? '').includes(s)))
  t.ok(keys.length >= 8, `${keys.length} keys scanned`)
  t.same(leaks, [], 'no key or value holds a token')
})

t.test('a Redis that accepts the connection and never answers: the log says the database was not selected, not that it was refused', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const port = (silent.address() as AddressInfo).port
  const sim = await startSim(t)
  const { vbase, logs } = await cachedVbase(t, sim, { env: { CACHE_REDIS_URL: `redis://127.0.0.1:${port}/12`, CACHE_REDIS_TIMEOUT_MS: '50' } })
  t.match((await vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))).meta.cache, /^(miss|bypass)$/, 'served from the upstream')
  const said = (): string => JSON.stringify(logs.filter((l) => l.msg.startsWith('cache storage unavailable')).map((l) => l.obj))
  await waitFor(() => said().includes('database index 12'), 5000)
  t.match(said(), /Redis did not select database index 12 \(Command timed out\)/)
  t.notMatch(said(), /refused/)
})

t.test('a database index Redis refuses: the cache stays unavailable, nothing goes to database 0, the log says why', gate, async (t) => {
  // The test Redis has 16 databases: index 99 is refused ("ERR DB index is out of range"), as
  // /1 on a Redis with `databases 1` or a managed Redis limited to db 0. Its prefix is claimed
  // in database 0, where the keys would land if the refusal were ignored (and are deleted then).
  const db0 = await useRedis(t, 0)
  const clock = new FakeClock()
  const sim = await startSim(t)
  const { vbase, setup, logs } = await cachedVbase(t, sim, {
    env: { CACHE_REDIS_URL: `${TEST_REDIS}/99`, CACHE_REDIS_PREFIX: db0.prefix, CACHE_ERROR_LOG_MS: '600000' },
    now: () => clock.now()
  })
  const refusal = (l: CapturedLog): boolean => (l.obj as { err?: { message?: string } }).err?.message?.includes('database index 99') === true
  // Several connections made and refused (each would have been used in database 0); ignoring
  // the refusal makes one connection only, and the checks below say what went wrong.
  let errors = 1 // the one `ready` waited for
  setup.redis?.on('error', () => { errors++ })
  await waitFor(() => errors >= 3, 3000).catch(() => {})
  await seed(vbase)
  sim.resetCalls()

  for (let i = 0; i < 4; i++) {
    clock.advance(1001) // past the retry window: Redis is asked again
    const r = await vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))
    t.match(r.meta.cache, /^(miss|bypass)$/, `read ${i + 1} served from the upstream`)
    t.same(r.value.backups.map((b) => b.name), ['a-1'])
  }
  t.equal(upstreamCalls(sim, 'ListBackups', { service_id: A1 }), 4, 'every read went upstream')
  await vbase.call('CreateBackup', { service_id: A1, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: 'a-2' }, as(TOKENS.A))
  const after = await vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))
  t.same(after.value.backups.map((b) => b.name).sort(), ['a-1', 'a-2'], 'the write is seen')

  t.same(await db0.keys(), [], 'no key of this prefix in database 0')
  t.equal(setup.redis?.status === 'ready', false, 'the connection never became ready')
  t.match(vbase.cacheStats(), { storage: 'redis', available: false })
  const lines = (): CapturedLog[] => logs.filter((l) => l.msg.startsWith('cache storage unavailable'))
  t.equal(lines().length, 1, 'one line for the whole interval')
  t.match(JSON.stringify(lines()[0]?.obj), /Redis refused database index 99 \(ERR DB index is out of range\)/, 'it says the database index was refused')
  // The next interval's line comes from a read (between connections): it says why too.
  clock.advance(600_001)
  t.match((await vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))).meta.cache, /^(miss|bypass)$/)
  t.equal(lines().length, 2, 'one more line in the next interval')
  t.ok(lines().every(refusal), 'every line says the database index was refused')
  t.notOk(logs.some((l) => l.msg === 'cache storage available again'), 'never announced as available')
})

t.test('Redis at a closed port: the app boots and serves from the upstream, logging once', async (t) => {
  const { app, sim, logs } = await buildTestApp(t, {
    env: { CACHE_REDIS_URL: 'redis://127.0.0.1:1/3', CACHE_ERROR_LOG_MS: '600000' },
    simulator: { tokens: SIM_TOKENS, seed: false, jobMs: 0 }
  })
  await seed(app.vbase)
  for (let i = 0; i < 5; i++) {
    const r = await app.vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))
    t.equal(r.meta.cache, 'bypass')
    t.equal(r.value.backups.length, 1)
  }
  t.equal(sim.callCount('ListBackups'), 5, 'every read went upstream')
  t.equal(unavailable(logs.map((l) => JSON.parse(l) as { msg: string })), 1, 'one log line for the whole outage')
  t.match(app.vbase.cacheStats(), { storage: 'redis', available: false })
  t.equal(app.vbase.cacheStats()?.held, undefined, 'no in-process size: Redis holds the entries')
  t.notMatch((await app.inject({ url: '/metrics' })).body, /vbgw_cache_memory_/, 'nor a memory gauge that would read 0')
})

t.test('Redis at a closed port, no traffic: reconnect errors are counted as connection errors, not as failed operations', async (t) => {
  const { app } = await buildTestApp(t, { env: { CACHE_REDIS_URL: 'redis://127.0.0.1:1/3', CACHE_ERROR_LOG_MS: '600000' } })
  const count = async (kind: string): Promise<number> => {
    const m = new RegExp(`^vbgw_cache_storage_errors_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec((await app.inject({ url: '/metrics' })).body)
    return m === null ? 0 : Number(m[1])
  }
  await waitFor(async () => await count('connection') >= 2)
  t.equal(await count('operation'), 0, 'no read was made, so no operation failed')
  t.equal(app.vbase.cacheStats()?.storageErrors, 0, 'nor in the cache stats')
})

t.test('the outage is logged at most once per interval', async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const { vbase, logs } = await cachedVbase(t, sim, {
    env: { CACHE_REDIS_URL: 'redis://127.0.0.1:1', CACHE_ERROR_LOG_MS: '10000' },
    now: () => clock.now()
  })
  await seed(vbase)
  for (let i = 0; i < 3; i++) await vbase.call('ListBackups', { service_id: A1 }, as(TOKENS.A))
  t.equal(unavailable(logs), 1)
  clock.advance(10_001)
  for (let i = 0; i < 3; i++) await vbase.call('ListBackups', { service_id: A1 }, as(TOKENS.A))
  await waitFor(() => unavailable(logs) === 2)
  t.equal(unavailable(logs), 2, 'one more line in the next interval')
  t.notOk(JSON.stringify(logs).includes(TOKENS.A), 'no token in any log line')
})

t.test('Redis stops mid-test and comes back: no failed request, no stale hit afterwards', gate, async (t) => {
  const clock = new FakeClock()
  const proxy = await startRedisProxy(t)
  const redis = await useRedis(t, REDIS_DB)
  const sim = await startSim(t)
  const { vbase, setup, logs } = await cachedVbase(t, sim, {
    env: { CACHE_REDIS_URL: proxy.url(REDIS_DB), CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_TIMEOUT_MS: '200' },
    now: () => clock.now(),
    retryAfterMs: 1000
  })
  await seed(vbase)
  const list = () => vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))
  t.equal((await list()).meta.cache, 'miss')
  t.equal((await list()).meta.cache, 'hit')

  await proxy.stop()
  const during = await list()
  t.equal(during.meta.cache, 'bypass', 'served from the upstream while Redis is down')
  t.equal(during.value.backups.length, 1)
  await vbase.call('CreateBackup', { service_id: A1, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: 'during' }, as(TOKENS.A))
  t.equal((await list()).value.backups.length, 2, 'the write is visible at once')
  t.equal(unavailable(logs), 1)

  await proxy.start()
  await waitFor(() => setup.redis?.status === 'ready', 10_000)
  clock.advance(1001) // past the retry window
  const after = await list()
  t.equal(after.meta.cache, 'miss', 'the invalidation made during the outage was replayed: the old entry is not served')
  t.same(after.value.backups.map((b) => b.name).sort(), ['a-1', 'during'])
  t.equal((await list()).meta.cache, 'hit', 'and the cache works again')
  t.ok(logs.some((l) => l.msg === 'cache storage available again'))
})

t.test('a Redis that hangs costs one short timeout, then reads bypass it', gate, async (t) => {
  const clock = new FakeClock()
  const proxy = await startRedisProxy(t)
  const redis = await useRedis(t, REDIS_DB)
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim, {
    env: { CACHE_REDIS_URL: proxy.url(REDIS_DB), CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_TIMEOUT_MS: '100' },
    now: () => clock.now()
  })
  await seed(vbase)
  const list = () => vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))
  t.equal((await list()).meta.cache, 'miss')

  proxy.stall(true)
  const started = Date.now()
  const results = []
  for (let i = 0; i < 5; i++) results.push(await list())
  const elapsed = Date.now() - started
  t.same(results.map((r) => r.meta.cache), ['bypass', 'bypass', 'bypass', 'bypass', 'bypass'])
  t.ok(elapsed < 1500, `five reads took ${elapsed} ms: one timeout, then no waiting`)
  proxy.stall(false)
  clock.advance(1001)
  await waitFor(async () => (await list()).meta.cache === 'hit', 5000)
  t.pass('back to hits once Redis answers')
})

t.test("a connection made again after a drop is not cut by the dropped one's socket timer", gate, async (t) => {
  // The client's socket timeout is armed when a command waits; the connection then drops
  // (Redis restarts) and is made again well before the timer is due.
  const proxy = await startRedisProxy(t)
  const errors: string[] = []
  // A command timeout of 250 ms (a loaded CI host must not time out a healthy ping); the socket timeout is 1250 ms.
  const client = createRedisClient({ url: proxy.url(REDIS_DB), commandTimeoutMs: 250, onError: (err) => { errors.push(err.message) } })
  t.teardown(() => closeRedisClient(client))
  await waitFor(() => client.status === 'ready')
  await client.ping()
  proxy.stall(true)
  const armedAt = Date.now()
  await client.get('x').catch(() => {})
  await proxy.stop()
  proxy.stall(false)
  await proxy.start()
  await waitFor(() => client.status === 'ready')
  errors.length = 0
  // Commands keep being answered around the old timer's deadline (1250 ms) and past it. (The
  // first after the reconnection may still time out while the proxy makes its own connection.)
  const failedLate: string[] = []
  await waitFor(async () => {
    await client.ping().catch((err: Error) => { if (Date.now() - armedAt > 1100) failedLate.push(err.message) })
    return Date.now() - armedAt > 1900
  }, 6000)
  t.same(errors, [], 'no connection error on a connection that answers everything')
  t.same(failedLate, [], 'no command failed around or after the old deadline')
})
