/**
 * Reads through the cache (memory storage): hit and miss counted at the
 * simulator, dedupe per principal, tenant isolation, errors not cached,
 * the unfinished-job TTL on an injected clock, and the no-cache bypass.
 */
import { status } from '@grpc/grpc-js'
import t from 'tap'
import type { Vbase } from '../../src/upstream/vbase.js'
import { FakeClock } from '../helpers/clock.js'
import { as, cachedVbase, ORG_A, ORG_B, rejectsWith, startSim, TOKENS, upstreamCalls } from './fixtures/vbase.js'

const SVC_A = 'svc-a-1'
const SVC_B = 'svc-b-1'

async function seed (vbase: Vbase): Promise<void> {
  await vbase.call('CreateBackup', { service_id: SVC_A, organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: 'a-1' }, as(TOKENS.A))
  await vbase.call('CreateBackup', { service_id: SVC_B, organization_id: ORG_B, db_name: 'db', collection_names: ['c'], backup_name: 'b-1' }, as(TOKENS.B))
}

t.test('a miss goes upstream once; then hits, with a stable ETag and the remaining TTL', async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim, { now: () => clock.now() })
  await seed(vbase)
  sim.resetCalls()

  const first = await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))
  t.equal(first.meta.cache, 'miss')
  t.equal(first.meta.maxAgeMs, 30_000)
  t.match(first.meta.etag, /^"[0-9a-f]{32}"$/)
  t.same(first.value.backups.map((b) => b.name), ['a-1'])
  clock.advance(4_000)
  const second = await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))
  t.equal(second.meta.cache, 'hit')
  t.equal(second.meta.etag, first.meta.etag, 'the ETag comes from the entry')
  t.equal(second.meta.maxAgeMs, 26_000)
  t.same(second.value, first.value)
  t.equal(second.value, first.value, 'the same JSON: the same value, parsed once')
  t.ok(Object.isFrozen(second.value.backups[0]), 'and frozen through')
  t.equal(sim.callCount('ListBackups'), 1)

  // The same request spelled differently (a default field left out) is the same entry.
  t.equal((await vbase.callWithMeta('ListBackupPolicies', { service_id: SVC_A }, as(TOKENS.A))).meta.cache, 'miss')
  t.equal((await vbase.callWithMeta('ListBackupPolicies', { service_id: SVC_A, extra: 1 } as never, as(TOKENS.A))).meta.cache, 'hit')

  // Past CACHE_TOKEN_RECHECK_MS (5 s) only because VBase answered this caller 4 s ago (the policies' miss).
  clock.advance(4_000)
  t.equal((await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))).meta.cache, 'hit', 'an entry 8 s old, of a caller VBase answered 4 s ago')
  clock.advance(22_000)
  t.equal((await vbase.callWithMeta('ListBackupPolicies', { service_id: SVC_A }, as(TOKENS.A))).meta.cache, 'miss', 'past CACHE_TOKEN_RECHECK_MS')
  t.equal((await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))).meta.cache, 'miss', 'expired at the TTL, though VBase has just answered this caller')
  t.equal(sim.callCount('ListBackups'), 2)
  t.match(vbase.cacheStats(), { storage: 'memory', available: true, methods: { ListBackups: { hits: 2, misses: 2 }, ListBackupPolicies: { hits: 1, misses: 2 } } })
})

t.test('concurrent identical reads: one upstream call per principal, each with its own token', async (t) => {
  const sim = await startSim(t, { })
  const { vbase } = await cachedVbase(t, sim)
  await seed(vbase)
  sim.resetCalls()
  sim.faults.latencyMs = 50 // keep the first call in flight while the others arrive

  const same = await Promise.all(Array.from({ length: 5 }, () => vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))))
  t.equal(sim.callCount('ListBackups'), 1, 'five reads by one principal, one upstream call')
  t.same(same.map((r) => r.meta.cache), ['miss', 'miss', 'miss', 'miss', 'miss'])
  t.equal(vbase.cacheStats()?.methods.ListBackups?.dedupes, 4)

  sim.resetCalls()
  // No no-cache here (it skips the dedupe): the three reads overlap and could be joined, but never across principals.
  sim.faults.latencyMs = 300
  const tokens = [TOKENS.A, TOKENS.A2, TOKENS.B]
  const results = await Promise.allSettled(tokens.map((tok) => vbase.call('ListBackupByOrg', { organization_id: ORG_A }, as(tok))))
  t.equal(sim.callCount('ListBackupByOrg'), 3, 'three principals, three upstream calls')
  t.equal(vbase.cacheStats()?.methods.ListBackupByOrg?.dedupes ?? 0, 0, 'none joined another')
  t.same(sim.calls.map((c) => c.metadata.authorization).sort(), tokens.map((tok) => `Bearer ${tok}`).sort(), 'each call carries its own token')
  t.match(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected'])
})

t.test('a shared read: each waiter keeps its own deadline, whoever started the call', async (t) => {
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim)
  await seed(vbase)
  sim.resetCalls()
  sim.faults.latencyMs = 1000
  const read = (timeoutMs?: number) => vbase.call('ListBackups', { service_id: SVC_A }, { ...as(TOKENS.A), ...(timeoutMs === undefined ? {} : { timeoutMs }) })
  const settled: string[] = []
  const track = (name: string, p: Promise<unknown>) => p.then(() => { settled.push(`${name} ok`) }, (e: { grpcCode?: number }) => { settled.push(`${name} ${e.grpcCode ?? '?'}`) })

  // A short deadline joining a default-deadline read fails at its own deadline, not when the shared call ends.
  const patient = track('patient', read())
  const hasty = track('hasty', read(100))
  await Promise.all([patient, hasty])
  t.same(settled, [`hasty ${status.DEADLINE_EXCEEDED}`, 'patient ok'])
  t.equal(sim.callCount('ListBackups'), 1, 'one shared upstream call')

  // Reversed, on an entry not cached yet: a read without a deadline joining a short-deadline one gets its answer.
  settled.length = 0
  sim.resetCalls()
  const policies = (timeoutMs?: number) => vbase.call('ListBackupPolicies', { service_id: SVC_A }, { ...as(TOKENS.A), ...(timeoutMs === undefined ? {} : { timeoutMs }) })
  const hasty2 = track('hasty', policies(100))
  const patient2 = track('patient', policies())
  await Promise.all([hasty2, patient2])
  t.same(settled, [`hasty ${status.DEADLINE_EXCEEDED}`, 'patient ok'], 'the shared call was not cut to the first caller\'s deadline')
  t.equal(sim.callCount('ListBackupPolicies'), 1)
  t.equal(vbase.cacheStats()?.methods.ListBackupPolicies?.dedupes, 1)
})

t.test('tenant isolation: B never gets what A warmed', async (t) => {
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim)
  await seed(vbase)
  sim.resetCalls()

  const warmed = await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))
  t.equal(warmed.value.backups.length, 1)
  for (let i = 0; i < 2; i++) {
    await rejectsWith(t, vbase.call('ListBackups', { service_id: SVC_A }, as(TOKENS.B)), status.PERMISSION_DENIED)
  }
  t.equal(upstreamCalls(sim, 'ListBackups', { service_id: SVC_A }, TOKENS.B), 2, "B's request reached the upstream with B's token, both times")
  await rejectsWith(t, vbase.call('ListBackupByOrg', { organization_id: ORG_A }, as(TOKENS.B)), status.PERMISSION_DENIED)

  const own = await vbase.callWithMeta('ListBackups', { service_id: SVC_B }, as(TOKENS.B))
  t.same(own.value.backups.map((b) => b.name), ['b-1'], "B gets B's answer")
  t.equal((await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A2))).meta.cache, 'miss', 'a second principal of the same org has its own entry')
  t.equal((await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))).meta.cache, 'hit')
})

t.test('errors are never cached', async (t) => {
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim)
  await seed(vbase)
  sim.resetCalls()

  sim.faults.failNext(1, status.INTERNAL)
  await rejectsWith(t, vbase.call('ListBackups', { service_id: SVC_A }, as(TOKENS.A)), status.INTERNAL)
  const after = await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))
  t.equal(after.meta.cache, 'miss')
  t.equal(after.value.backups.length, 1)
  t.equal(sim.callCount('ListBackups'), 2)
  await rejectsWith(t, vbase.call('ListBackups', { service_id: SVC_A }, contextFromNoAuth()), status.UNAUTHENTICATED)
  await rejectsWith(t, vbase.call('ListBackups', { service_id: SVC_A }, contextFromNoAuth()), status.UNAUTHENTICATED)
  t.equal(sim.callCount('ListBackups'), 4)
})

function contextFromNoAuth (): ReturnType<typeof as> {
  return { headers: {} }
}

t.test('a list holding an unfinished job is kept CACHE_PENDING_TTL_MS at most', async (t) => {
  const clock = new FakeClock()
  const sim = await startSim(t, { clock, jobMs: 10_000 })
  const { vbase } = await cachedVbase(t, sim, { now: () => clock.now() })
  await seed(vbase) // both jobs PENDING until the clock moves 10 s
  sim.resetCalls()

  const pending = await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))
  t.equal(pending.value.backups[0]?.status, 'PENDING')
  t.equal(pending.meta.maxAgeMs, 2000)
  const policies = await vbase.callWithMeta('ListBackupPolicies', { service_id: SVC_A }, as(TOKENS.A))
  t.equal(policies.meta.maxAgeMs, 30_000, 'a list without jobs keeps the full TTL')

  clock.advance(1999)
  t.equal((await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))).meta.cache, 'hit')
  clock.advance(1)
  t.equal((await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))).meta.cache, 'miss')
  t.equal((await vbase.callWithMeta('ListBackupPolicies', { service_id: SVC_A }, as(TOKENS.A))).meta.cache, 'hit')

  clock.advance(10_000) // the job completes: the fresh list gets the full TTL
  const done = await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))
  t.equal(done.meta.cache, 'miss')
  t.equal(done.value.backups[0]?.status, 'COMPLETED')
  t.equal(done.meta.maxAgeMs, 30_000)
})

t.test('Cache-Control: no-cache goes upstream and the fresh answer replaces the entry', async (t) => {
  const sim = await startSim(t)
  const { vbase } = await cachedVbase(t, sim)
  await seed(vbase)
  sim.resetCalls()

  const old = await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))
  // A change the gateway did not see (another gateway, a scheduled backup): only a bypass finds it.
  sim.failJob(SVC_A, 'a-1', 'disk full')
  t.equal((await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))).meta.etag, old.meta.etag)
  const fresh = await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A, { 'cache-control': 'no-cache' }))
  t.equal(fresh.meta.cache, 'bypass')
  t.not(fresh.meta.etag, old.meta.etag)
  t.equal(sim.callCount('ListBackups'), 2)
  const next = await vbase.callWithMeta('ListBackups', { service_id: SVC_A }, as(TOKENS.A))
  t.equal(next.meta.cache, 'hit')
  t.equal(next.meta.etag, fresh.meta.etag, 'the entry now holds the fresh answer')
  t.equal(next.value.backups[0]?.status, 'FAILED')
  t.equal(vbase.cacheStats()?.methods.ListBackups?.bypasses, 1)
})
