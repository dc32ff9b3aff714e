/**
 * Writes invalidate exactly the lists the invalidation table says, for every
 * principal: in memory, in Redis, and across two app instances sharing one
 * Redis. And the race: a read that started before a write does not put its
 * stale answer back after the write's invalidation.
 */
import { status } from '@grpc/grpc-js'
import t, { type Test } from 'tap'
import type { Simulator } from '../../src/simulator/index.js'
import type { MethodName } from '../../src/upstream/contract.js'
import type { Vbase } from '../../src/upstream/vbase.js'
import { buildTestApp, waitFor } from '../helpers/app.js'
import { redisGate, useRedis } from '../helpers/redis.js'
import { as, cachedVbase, createGate, ORG_A, ORG_B, rejectsWith, SIM_TOKENS, startSim, TOKENS } from './fixtures/vbase.js'

const REDIS_DB = 11
const gate = await redisGate(t)

const [A1, A2, A3, B1] = ['svc-a-1', 'svc-a-2', 'svc-a-3', 'svc-b-1']

/** The lists watched in every row: a name, the read and who asks. */
const LISTS: Array<[string, MethodName, object, string]> = [
  ['A1 backups', 'ListBackups', { service_id: A1 }, TOKENS.A],
  ['A1 backups (A2)', 'ListBackups', { service_id: A1 }, TOKENS.A2],
  ['A2 backups', 'ListBackups', { service_id: A2 }, TOKENS.A],
  ['org A', 'ListBackupByOrg', { organization_id: ORG_A }, TOKENS.A],
  ['org A (A2)', 'ListBackupByOrg', { organization_id: ORG_A.toUpperCase() }, TOKENS.A2],
  ['A1 policies', 'ListBackupPolicies', { service_id: A1 }, TOKENS.A],
  ['A2 policies', 'ListBackupPolicies', { service_id: A2 }, TOKENS.A],
  ['B1 backups', 'ListBackups', { service_id: B1 }, TOKENS.B],
  ['org B', 'ListBackupByOrg', { organization_id: ORG_B }, TOKENS.B],
  ['B1 policies', 'ListBackupPolicies', { service_id: B1 }, TOKENS.B]
]

interface World { policyA1: string, policyA2: string }

/** Each row: a write (method, request by token) and the lists it must invalidate. */
const ROWS: Array<{ name: string, method: MethodName, token: string, request: (w: World) => object, fails?: boolean, expect: string[] }> = [
  { name: 'CreateBackup on A1', method: 'CreateBackup', token: TOKENS.A, request: () => ({ service_id: A1, organization_id: ORG_A, db_name: 'db', collection_names: ['c'] }), expect: ['A1 backups', 'A1 backups (A2)', 'org A', 'org A (A2)'] },
  { name: 'CreateBackup on a new service', method: 'CreateBackup', token: TOKENS.A, request: () => ({ service_id: A3, organization_id: ORG_A, db_name: 'db', collection_names: ['c'] }), expect: ['org A', 'org A (A2)'] },
  { name: 'RestoreBackup on A1', method: 'RestoreBackup', token: TOKENS.A2, request: () => ({ service_id: A1, organization_id: ORG_A, backup_name: 'a1-1', db_name: 'db', collection_names: ['c'] }), expect: ['A1 backups', 'A1 backups (A2)'] },
  { name: 'DeleteBackup on A2', method: 'DeleteBackup', token: TOKENS.A, request: () => ({ service_id: A2, backup_name: 'a2-1' }), expect: ['A2 backups', 'org A', 'org A (A2)'] },
  { name: 'CreateBackupPolicy on A1', method: 'CreateBackupPolicy', token: TOKENS.A, request: () => ({ service_id: A1, organization_id: ORG_A, schedule_cron: '0 3 * * *', retention_count: 2 }), expect: ['A1 policies'] },
  { name: 'UpdateBackupPolicy on A1', method: 'UpdateBackupPolicy', token: TOKENS.A, request: (w) => ({ service_id: A1, policy_id: w.policyA1, schedule_cron: '0 4 * * *', retention_count: 3 }), expect: ['A1 policies'] },
  { name: 'DeleteBackupPolicy on A2', method: 'DeleteBackupPolicy', token: TOKENS.A, request: (w) => ({ service_id: A2, policy_id: w.policyA2 }), expect: ['A2 policies'] },
  { name: 'CreateBackup on B1', method: 'CreateBackup', token: TOKENS.B, request: () => ({ service_id: B1, organization_id: ORG_B, db_name: 'db', collection_names: ['c'] }), expect: ['B1 backups', 'org B'] },
  { name: 'a refused write invalidates nothing', method: 'CreateBackup', token: TOKENS.B, fails: true, request: () => ({ service_id: A1, organization_id: ORG_B, db_name: 'db', collection_names: ['c'] }), expect: [] }
]

async function seed (vbase: Vbase): Promise<World> {
  const backup = (svc: string, org: string, name: string, tok: string): Promise<unknown> =>
    vbase.call('CreateBackup', { service_id: svc, organization_id: org, db_name: 'db', collection_names: ['c'], backup_name: name }, as(tok))
  const policy = async (svc: string, org: string, tok: string): Promise<string> =>
    (await vbase.call('CreateBackupPolicy', { service_id: svc, organization_id: org, schedule_cron: '0 2 * * *', retention_count: 1 }, as(tok))).id
  await backup(A1, ORG_A, 'a1-1', TOKENS.A)
  await backup(A2, ORG_A, 'a2-1', TOKENS.A)
  await backup(B1, ORG_B, 'b1-1', TOKENS.B)
  const world = { policyA1: await policy(A1, ORG_A, TOKENS.A), policyA2: await policy(A2, ORG_A, TOKENS.A) }
  await policy(B1, ORG_B, TOKENS.B)
  return world
}

const readCount = (sim: Simulator): number => sim.callCount('ListBackups') + sim.callCount('ListBackupByOrg') + sim.callCount('ListBackupPolicies')

/** Read every list through `reader`; the names of those that were not hits. */
async function notHits (reader: Vbase): Promise<string[]> {
  const out: string[] = []
  for (const [name, method, request, token] of LISTS) {
    const { meta } = await reader.callWithMeta(method, request as never, as(token))
    if (meta.cache !== 'hit') out.push(name)
  }
  return out
}

type Mode = 'memory' | 'redis' | 'two replicas'

async function runRow (t: Test, mode: Mode, row: (typeof ROWS)[number]): Promise<void> {
  let sim: Simulator
  let reader: Vbase
  let writer: Vbase
  if (mode === 'two replicas') {
    const redis = await useRedis(t, REDIS_DB)
    const env = { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix, CACHE_REDIS_TIMEOUT_MS: '1000', LOG_LEVEL: 'warn' }
    const one = await buildTestApp(t, { env, simulator: { tokens: SIM_TOKENS, seed: false, jobMs: 0 } })
    const two = await buildTestApp(t, { env, sim: one.sim })
    sim = one.sim
    reader = one.app.vbase
    writer = two.app.vbase
  } else {
    sim = await startSim(t)
    const env: Record<string, string> = {}
    if (mode === 'redis') {
      const redis = await useRedis(t, REDIS_DB)
      Object.assign(env, { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix })
    }
    reader = writer = (await cachedVbase(t, sim, { env })).vbase
  }
  const world = await seed(writer)
  t.same(await notHits(reader), LISTS.map(([name]) => name), 'warm: every list misses once')
  t.same(await notHits(reader), [], 'then every list hits')
  if (mode === 'two replicas') t.same(await notHits(writer), [], 'the other replica hits the shared entries')

  const write = writer.call(row.method, row.request(world) as never, as(row.token))
  if (row.fails === true) await rejectsWith(t, write, status.PERMISSION_DENIED)
  else await write
  const before = readCount(sim)
  t.same(await notHits(reader), row.expect, 'exactly these lists went upstream again')
  t.equal(readCount(sim) - before, row.expect.length, 'one upstream call per invalidated list')
}

for (const mode of ['memory', 'redis', 'two replicas'] as const) {
  t.test(`writes invalidate by reference (${mode})`, mode === 'memory' ? {} : gate, async (t) => {
    for (const row of ROWS) await t.test(row.name, (t) => runRow(t, mode, row))
  })
}

for (const mode of ['memory', 'redis'] as const) {
  t.test(`a read that started before a write does not put stale data back (${mode})`, mode === 'memory' ? {} : gate, async (t) => {
    const sim = await startSim(t)
    const hold = createGate()
    const env: Record<string, string> = {}
    if (mode === 'redis') {
      const redis = await useRedis(t, REDIS_DB)
      Object.assign(env, { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: redis.prefix })
    }
    const { vbase } = await cachedVbase(t, sim, { env, wrap: hold.wrap })
    await seed(vbase)

    for (const [method, request, write] of [
      ['ListBackups', { service_id: A1 }, () => vbase.call('CreateBackup', { service_id: A1, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: 'late' }, as(TOKENS.A))],
      ['ListBackupByOrg', { organization_id: ORG_A }, () => vbase.call('DeleteBackup', { service_id: A2, backup_name: 'a2-1' }, as(TOKENS.A2))]
    ] as const) {
      hold.hold(method)
      const early = vbase.callWithMeta(method, request as never, as(TOKENS.A))
      await waitFor(() => hold.held === 1) // the upstream answered with the old list; the cache has not stored it yet
      await write()
      hold.release()
      const stale = await early
      t.equal(stale.meta.maxAgeMs, 0, `${method}: the early answer was not stored`)
      const next = await vbase.callWithMeta(method, request as never, as(TOKENS.A))
      t.equal(next.meta.cache, 'miss', `${method}: the next read goes upstream`)
      t.not(next.meta.etag, stale.meta.etag, `${method}: and sees the write`)
      t.equal((await vbase.callWithMeta(method, request as never, as(TOKENS.A))).meta.cache, 'hit')
    }
  })
}

t.test('a write whose outcome is unknown invalidates anyway; so does a refusal that says the lists are out of date; other refusals do not', async (t) => {
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim)
  const list = () => vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A))
  const create = () => vbase.call('CreateBackup', { service_id: A1, organization_id: ORG_A, db_name: 'db', collection_names: ['c'] }, as(TOKENS.A))
  // UNAVAILABLE included: a connection dropped after the request was sent fails the call with it too.
  for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.UNKNOWN, status.INTERNAL]) {
    await list()
    t.equal((await list()).meta.cache, 'hit')
    sim.faults.failNext(1, code)
    await rejectsWith(t, create(), code)
    t.equal((await list()).meta.cache, 'miss', `${status[code]}: the lists it may have touched were invalidated`)
  }
  const counted = vbase.cacheStats()?.methods.CreateBackup?.invalidations
  for (const code of [status.NOT_FOUND, status.ALREADY_EXISTS, status.FAILED_PRECONDITION, status.ABORTED]) {
    await list()
    t.equal((await list()).meta.cache, 'hit')
    sim.faults.failNext(1, code)
    await rejectsWith(t, create(), code)
    t.equal((await list()).meta.cache, 'miss', `${status[code]}: what VBase said may contradict the cached lists: dropped`)
  }
  t.equal(vbase.cacheStats()?.methods.CreateBackup?.invalidations, counted, 'not counted as writes that invalidated')
  for (const code of [status.INVALID_ARGUMENT, status.PERMISSION_DENIED, status.RESOURCE_EXHAUSTED, status.OUT_OF_RANGE]) {
    await list()
    sim.faults.failNext(1, code)
    await rejectsWith(t, create(), code)
    t.equal((await list()).meta.cache, 'hit', `${status[code]}: nothing was written, nothing invalidated`)
  }
  // UNAUTHENTICATED stops the refused caller's own entries (test/cache/token-recheck.test.ts), and invalidates nothing.
  const other = () => vbase.callWithMeta('ListBackups', { service_id: A1 }, as(TOKENS.A2))
  await other()
  t.equal((await other()).meta.cache, 'hit')
  sim.faults.failNext(1, status.UNAUTHENTICATED)
  await rejectsWith(t, create(), status.UNAUTHENTICATED)
  t.equal((await other()).meta.cache, 'hit', "UNAUTHENTICATED: nothing was written, another caller's list stays")
})

t.test('a delete VBase answers NOT_FOUND, or a create it answers ALREADY_EXISTS, drops the cached list that still showed otherwise', async (t) => {
  const sim = await startSim(t)
  // Two replicas that share no storage: a change through the other is one this one does not see.
  const { vbase } = await cachedVbase(t, sim)
  const { vbase: other } = await cachedVbase(t, sim)
  const create = (via: Vbase, name: string): Promise<unknown> =>
    via.call('CreateBackup', { service_id: A1, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: name }, as(TOKENS.A))
  const names = async (): Promise<string[]> => (await vbase.call('ListBackups', { service_id: A1 }, as(TOKENS.A))).backups.map((b) => b.name)
  await create(vbase, 'gone')
  t.same(await names(), ['gone'])
  await other.call('DeleteBackup', { service_id: A1, backup_name: 'gone' }, as(TOKENS.A))
  t.same(await names(), ['gone'], 'cached: this replica did not see the delete')
  await rejectsWith(t, vbase.call('DeleteBackup', { service_id: A1, backup_name: 'gone' }, as(TOKENS.A)), status.NOT_FOUND)
  t.same(await names(), [], 'after VBase said it is not there, the list no longer shows it')

  await create(other, 'late')
  t.same(await names(), [], 'cached again')
  await rejectsWith(t, create(vbase, 'late'), status.ALREADY_EXISTS)
  t.same(await names(), ['late'], 'after VBase said the name is taken, the list shows it')
})
