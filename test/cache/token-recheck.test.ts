/**
 * A revoked token and the cache: a hit never asks VBase, so an entry is
 * served only within CACHE_TOKEN_RECHECK_MS (5 s) of the last time VBase
 * answered its principal, through the entry itself (any replica's) or
 * through this replica's latest answer for that principal. Past that the
 * read goes upstream, where a revoked token is refused. The revocation is
 * the simulator answering UNAUTHENTICATED, as VBase does for a token it no
 * longer knows.
 */
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { FakeClock } from '../helpers/clock.js'
import { redisGate, useRedis } from '../helpers/redis.js'
import { as, cachedVbase, ORG_A, rejectsWith, startSim, TOKENS } from './fixtures/vbase.js'

const gate = await redisGate(t)
const SVC = 'svc-a-1'
const OTHER = 'svc-a-2'
const revoke = (sim: { faults: { failNext: (n: number, code: status, message?: string) => void } }): void => {
  sim.faults.failNext(100, status.UNAUTHENTICATED, 'token revoked')
}

t.test('the default is 5 s', async (t) => {
  t.equal(loadConfig({}).CACHE_TOKEN_RECHECK_MS, 5000)
})

t.test('a revoked token reads its cached lists for at most CACHE_TOKEN_RECHECK_MS, not for the TTL', async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim, { now: () => clock.now() })
  const list = () => vbase.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.equal((await list()).meta.cache, 'miss')
  revoke(sim)
  clock.advance(4_900)
  t.equal((await list()).meta.cache, 'hit', 'within 5 s of VBase answering: served from the entry')
  clock.advance(200)
  await rejectsWith(t, list(), status.UNAUTHENTICATED, 'past 5 s the read goes to VBase, which refuses the token')
  await rejectsWith(t, list(), status.UNAUTHENTICATED, 'and so does every read after it; the entry is not served again')
  t.equal(sim.callCount('ListBackups'), 3)
})

t.test("VBase answering one of a caller's reads vouches for its other entries; another caller's does not", async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim, { now: () => clock.now() })
  const read = (service: string, token: string = TOKENS.A) => vbase.callWithMeta('ListBackups', { service_id: service }, as(token))
  t.equal((await read(SVC)).meta.cache, 'miss')
  t.equal((await read(SVC, TOKENS.A2)).meta.cache, 'miss')
  clock.advance(6_000)
  t.equal((await read(OTHER)).meta.cache, 'miss', 'VBase answers A again')
  t.equal((await read(SVC)).meta.cache, 'hit', "A's entry is 6 s old, but VBase answered A just now")
  t.equal((await read(SVC, TOKENS.A2)).meta.cache, 'miss', 'A2 (same organization) has not been heard from for 6 s')
  t.equal(sim.callCount('ListBackups'), 4)
})

t.test('the bound is configurable; a write vouches for nothing', async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim, { now: () => clock.now(), env: { CACHE_TOKEN_RECHECK_MS: '20000' } })
  const list = () => vbase.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.equal((await list()).meta.cache, 'miss')
  clock.advance(19_000)
  t.equal((await list()).meta.cache, 'hit')
  clock.advance(2_000)
  await vbase.call('CreateBackupPolicy', { service_id: SVC, organization_id: ORG_A, schedule_cron: '0 2 * * *', retention_count: 1 }, as(TOKENS.A))
  t.equal((await list()).meta.cache, 'miss', 'a policy write invalidates no backup list; the entry is past 20 s')
})

t.test('two replicas on Redis: a fresh entry is a hit on either; an old one of a caller this replica has not heard from is not', gate, async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const redis = await useRedis(t, 11)
  const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix }
  const { vbase: a } = await cachedVbase(t, sim, { env, now: () => clock.now() })
  const { vbase: b } = await cachedVbase(t, sim, { env, now: () => clock.now() })
  const list = (replica: typeof a) => replica.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.equal((await list(a)).meta.cache, 'miss')
  clock.advance(3_000)
  t.equal((await list(b)).meta.cache, 'hit', 'the entry is 3 s old: VBase answered for this caller then')
  clock.advance(3_000)
  t.equal((await list(a)).meta.cache, 'miss', 'A heard from VBase 6 s ago')
  revoke(sim)
  clock.advance(5_100)
  await rejectsWith(t, list(b), status.UNAUTHENTICATED, 'the entry A stored is 5.1 s old and B never heard from VBase for this caller')
  t.equal(sim.callCount('ListBackups'), 3)
})

t.test('replicas with different TTLs: an entry carries when it was fetched, not only when it expires', gate, async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const redis = await useRedis(t, 11)
  const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix }
  const { vbase: long } = await cachedVbase(t, sim, { env: { ...env, CACHE_TTL_MS: '60000' }, now: () => clock.now() })
  const { vbase: short } = await cachedVbase(t, sim, { env, now: () => clock.now() })
  const list = (replica: typeof long) => replica.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A))
  t.equal((await list(long)).meta.cache, 'miss', 'stored for 60 s')
  revoke(sim)
  clock.advance(5_100)
  // Reckoned from its expiry with its own 30 s TTL, the other replica would take the entry for 30 s younger than it is.
  await rejectsWith(t, list(short), status.UNAUTHENTICATED, 'the entry is 5.1 s old on either replica')
})

t.test("VBase refusing a caller's token stops that caller's cached lists at once, not CACHE_TOKEN_RECHECK_MS later", async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim, { now: () => clock.now() })
  const read = (service: string, token: string = TOKENS.A) => vbase.callWithMeta('ListBackups', { service_id: service }, as(token))
  t.equal((await read(SVC)).meta.cache, 'miss')
  t.equal((await read(OTHER)).meta.cache, 'miss')
  t.equal((await read(SVC, TOKENS.A2)).meta.cache, 'miss')
  clock.advance(1_000)
  sim.faults.failNext(1, status.UNAUTHENTICATED, 'token revoked')
  await rejectsWith(t, vbase.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A, { 'cache-control': 'no-cache' })), status.UNAUTHENTICATED,
    'a read past the cache meets the revocation')
  t.equal(sim.callCount('ListBackups'), 4)
  clock.advance(1_000)
  t.equal((await read(OTHER)).meta.cache, 'miss', "A's other list, 2 s old, goes to VBase instead of being served")
  t.equal((await read(SVC, TOKENS.A2)).meta.cache, 'hit', 'another caller of the same organization keeps its entries')
  t.equal(sim.callCount('ListBackups'), 5)
  clock.advance(1_000)
  t.equal((await read(OTHER)).meta.cache, 'hit', 'what VBase answered A after the refusal is served again')
  t.equal((await read(SVC)).meta.cache, 'miss', 'an entry from before the refusal never is')
  t.equal(sim.callCount('ListBackups'), 6)
})

t.test("a write VBase refuses for the caller's token stops that caller's cached lists too", async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim, { now: () => clock.now() })
  const list = () => vbase.callWithMeta('ListBackups', { service_id: OTHER }, as(TOKENS.A))
  t.equal((await list()).meta.cache, 'miss')
  clock.advance(1_000)
  sim.faults.failNext(1, status.UNAUTHENTICATED, 'token revoked')
  await rejectsWith(t, vbase.call('CreateBackupPolicy', { service_id: SVC, organization_id: ORG_A, schedule_cron: '0 2 * * *', retention_count: 1 }, as(TOKENS.A)),
    status.UNAUTHENTICATED)
  clock.advance(1_000)
  t.equal((await list()).meta.cache, 'miss', 'the list, 2 s old and untouched by the write, goes to VBase')
  t.equal(sim.callCount('ListBackups'), 2)
})

t.test('other refusals of a read leave the caller\'s entries served', async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim, { now: () => clock.now() })
  const list = () => vbase.callWithMeta('ListBackups', { service_id: OTHER }, as(TOKENS.A))
  t.equal((await list()).meta.cache, 'miss')
  sim.faults.failNext(1, status.PERMISSION_DENIED, 'not yours')
  await rejectsWith(t, vbase.callWithMeta('ListBackups', { service_id: SVC }, as(TOKENS.A)), status.PERMISSION_DENIED)
  t.equal((await list()).meta.cache, 'hit', 'PERMISSION_DENIED is about one resource, not the credential')
})
