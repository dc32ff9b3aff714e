/**
 * Wire answers: an upstream answer whose bytes the cache has rendered
 * before is not decoded again, whoever receives it; what each caller gets
 * is the same as a fresh decode would give, one frozen value shared; an org
 * list's references from its answer still reach the stored entry; bytes
 * the contract cannot parse are a clean INTERNAL; the bound holds.
 */
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { guardStorage } from '../../src/cache/guard.js'
import { entryKey, principalHasher } from '../../src/cache/keys.js'
import { createListCache, PARSED_BYTES_PER_CHAR, type ListCache } from '../../src/cache/list-cache.js'
import { createMemoryStorage } from '../../src/cache/memory.js'
import { UpstreamError } from '../../src/errors.js'
import { contract, type MethodName } from '../../src/upstream/contract.js'
import { contextFromHeaders, type CallContext } from '../../src/upstream/metadata.js'
import { WireAnswer } from '../../src/upstream/wire.js'
import { as, cachedVbase, ORG_A, startSim, TOKENS } from './fixtures/vbase.js'

const ORG = '33333333-3333-4333-8333-333333333333'
const principal = principalHasher()
const caller = (token: string, noCache = true): CallContext => contextFromHeaders({ authorization: `Bearer ${token}`, ...(noCache ? { 'cache-control': 'no-cache' } : {}) })

function backup (name: string, serviceId: string, status = 'COMPLETED'): object {
  return { name, service_id: serviceId, organization_id: ORG, status, collection_names: ['c1', 'c2'], db_name: 'db', size_bytes: '1024' }
}

/** The bytes VBase would send for `message`, as a WireAnswer whose decodes are counted. */
function wire (method: MethodName, message: object, decodes: { n: number }): WireAnswer {
  const def = contract.method(method).definition
  const bytes = def.responseSerialize(message)
  return new WireAnswer(bytes, (b) => { decodes.n++; return def.responseDeserialize(b) })
}

function listCache (renderingsMaxBytes?: number, parsedMaxBytes?: number): { cache: ListCache, storage: ReturnType<typeof createMemoryStorage> } {
  const storage = createMemoryStorage({ maxEntries: 100, now: () => 1_000_000 })
  const guarded = guardStorage(storage, { timeoutMs: 0, retryAfterMs: 1000, logIntervalMs: 60_000, now: Date.now, logger: { warn: () => {}, info: () => {} } })
  // A clock that stands still: the remaining lifetimes asserted are exact.
  const cache = createListCache({ storage: guarded, principal, ttlMs: 30_000, pendingTtlMs: 2000, renderingsMaxBytes, parsedMaxBytes, now: () => 1_000_000 })
  return { cache, storage }
}

t.test('the same bytes again are not decoded again, for any caller; all get the decoded answer, one frozen value', async (t) => {
  const { cache } = listCache()
  const list = contract.method('ListBackups')
  const decodes = { n: 0 }
  const answer = { backups: [backup('b-1', 'svc-1'), backup('b-2', 'svc-1')] }
  const expected = list.definition.responseDeserialize(list.definition.responseSerialize(answer))
  const read = (token: string): ReturnType<ListCache['read']> =>
    cache.read(list, { service_id: 'svc-1' }, caller(token), async () => wire('ListBackups', answer, decodes))

  const first = await read('tok-1')
  const again = await read('tok-1')
  const other = await read('tok-2')
  t.equal(decodes.n, 1, 'decoded once for three reads of the same bytes')
  t.same(first.value, expected, 'the first read gets the decoded answer')
  t.same(again.value, expected, 'a read of rendered bytes gets the same answer')
  t.same(other.value, expected, 'another caller who received the same bytes gets the same answer')
  t.equal(again.value, other.value, 'the same bytes give one value, shared')
  t.equal(first.value, again.value, 'the decoded answer is the one kept')
  t.throws(() => { (other.value as { backups: Array<{ name: string }> }).backups[0]!.name = 'changed' }, TypeError, 'frozen: no caller can change what others get')
  t.equal((again.value as { backups: Array<{ name: string }> }).backups[0]?.name, 'b-1')
  t.equal(again.etag, first.etag)
  t.equal(other.etag, first.etag)
  t.equal(first.cache, 'bypass')

  // New bytes are rendered: a changed list is never answered from an older rendering.
  const changed = { backups: [backup('b-1', 'svc-1', 'FAILED'), backup('b-2', 'svc-1')] }
  const fresh = await cache.read(list, { service_id: 'svc-1' }, caller('tok-1'), async () => wire('ListBackups', changed, decodes))
  t.equal(decodes.n, 2)
  t.not(fresh.etag, first.etag)
  t.equal((fresh.value as { backups: Array<{ status: string }> }).backups[0]?.status, 'FAILED')

  // The same bytes of another method are that method's rendering, not this one's.
  const policies = contract.method('ListBackupPolicies')
  await cache.read(policies, { service_id: 'svc-1' }, caller('tok-1'), async () => wire('ListBackupPolicies', { policies: [] }, decodes))
  await cache.read(list, { service_id: 'svc-1' }, caller('tok-1'), async () => wire('ListBackups', { backups: [] }, decodes))
  t.equal(decodes.n, 4, 'empty answers of two methods: the same bytes, two renderings')
})

t.test('an answer holding an unfinished job keeps the short TTL when it comes again as rendered bytes', async (t) => {
  const { cache } = listCache()
  const list = contract.method('ListBackups')
  const decodes = { n: 0 }
  const answer = { backups: [backup('b-1', 'svc-1', 'RUNNING')] }
  const first = await cache.read(list, { service_id: 'svc-1' }, caller('tok-1', false), async () => wire('ListBackups', answer, decodes))
  t.equal(first.maxAgeMs, 2000)
  const again = await cache.read(list, { service_id: 'svc-1' }, caller('tok-2', false), async () => wire('ListBackups', answer, decodes))
  t.equal(decodes.n, 1)
  t.equal(again.cache, 'miss')
  t.equal(again.maxAgeMs, 2000, 'not the 30 s of a finished list')
})

t.test("an org list stored from rendered bytes still depends on the services its answer names", async (t) => {
  const { cache, storage } = listCache()
  const org = contract.method('ListBackupByOrg')
  const decodes = { n: 0 }
  const answer = { backups: [backup('b-1', 'svc-1'), backup('b-2', 'svc-2')] }
  const fetches = { n: 0 }
  const read = (token: string, noCache: boolean): ReturnType<ListCache['read']> =>
    cache.read(org, { organization_id: ORG }, caller(token, noCache), async () => { fetches.n++; return wire('ListBackupByOrg', answer, decodes) })

  await read('tok-1', true)
  // Stored from the rendering, not from a decode.
  await read('tok-2', true)
  t.equal(decodes.n, 1)
  const entry = storage.peek?.(entryKey(org, { organization_id: ORG }, principal('Bearer tok-2')))
  t.ok(entry?.refs.includes('org-holding:svc-2'), 'the entry names svc-2, from the answer')
  t.ok(entry?.refs.includes(`org:${ORG}`), 'and the organization, from the request')

  t.equal((await read('tok-2', false)).cache, 'hit')
  // A delete on svc-2 whose outcome is unknown names no organization: only the services' references reach the list.
  const deleted = cache.write(contract.method('DeleteBackup'), { service_id: 'svc-2', backup_name: 'b-2' },
    async () => { throw new UpstreamError(status.DEADLINE_EXCEEDED, 'the backup service did not answer in time') })
  await t.rejects(deleted)
  const after = await read('tok-2', false)
  t.equal(after.cache, 'miss', 'the entry was invalidated through svc-2')
  t.equal(fetches.n, 3)
})

t.test('bytes the contract cannot parse fail as INTERNAL, are not cached, and the next answer is served', async (t) => {
  const { cache } = listCache()
  const list = contract.method('ListBackups')
  const broken = new WireAnswer(Buffer.from([0x0a, 0xff, 0xff, 0xff]), contract.method('ListBackups').definition.responseDeserialize)
  const err = await cache.read(list, { service_id: 'svc-1' }, caller('tok-1', false), async () => broken).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof UpstreamError)
  t.equal((err as UpstreamError).grpcCode, status.INTERNAL)
  t.equal((err as UpstreamError).message, 'the backup service failed', 'the parse error stays in the details')
  const decodes = { n: 0 }
  const next = await cache.read(list, { service_id: 'svc-1' }, caller('tok-1', false), async () => wire('ListBackups', { backups: [backup('b-1', 'svc-1')] }, decodes))
  t.equal(next.cache, 'miss')
  t.equal(decodes.n, 1)
})

t.test('renderings are bounded by bytes: the least recently used goes first, and with no room every answer is decoded', async (t) => {
  const list = contract.method('ListBackups')
  const three = (svc: string): object => ({ backups: [backup('b-1', svc), backup('b-2', svc), backup('b-3', svc)] })
  const [a, b] = [three('svc-1'), three('svc-2')]
  const weight = (message: object): number => {
    const bytes = list.definition.responseSerialize(message)
    return bytes.length + JSON.stringify(list.definition.responseDeserialize(bytes)).length * 2
  }
  // Room for one of the two renderings, not both.
  const { cache } = listCache(Math.max(weight(a), weight(b)) + 100)
  t.ok(weight(a) + weight(b) > Math.max(weight(a), weight(b)) + 100)
  const decodes = { n: 0 }
  for (const message of [a, b, a, a]) await cache.read(list, { service_id: 'svc-1' }, caller('tok-1'), async () => wire('ListBackups', message, decodes))
  t.equal(decodes.n, 3, "a's rendering was pushed out by b's; a's second one was kept")

  const none = listCache(0).cache
  decodes.n = 0
  for (let i = 0; i < 3; i++) await none.read(list, { service_id: 'svc-1' }, caller('tok-1'), async () => wire('ListBackups', a, decodes))
  t.equal(decodes.n, 3)
})

t.test('parsed values are kept by method and ETag within their bound; with no room each read parses its own', async (t) => {
  const list = contract.method('ListBackups')
  const answerOf = (svc: string): object => ({ backups: [backup('b-1', svc), backup('b-2', svc)] })
  const [a, b] = [answerOf('svc-1'), answerOf('svc-2')]
  const jsonChars = (message: object): number => JSON.stringify(list.definition.responseDeserialize(list.definition.responseSerialize(message))).length
  const read = (cache: ListCache, message: object): ReturnType<ListCache['read']> =>
    cache.read(list, { service_id: 'svc-1' }, caller('tok-1'), async () => wire('ListBackups', message, { n: 0 }))

  // Room for one of the two values, as PARSED_BYTES_PER_CHAR counts them.
  const room = Math.max(jsonChars(a), jsonChars(b)) * PARSED_BYTES_PER_CHAR + 100
  t.ok((jsonChars(a) + jsonChars(b)) * PARSED_BYTES_PER_CHAR > room)
  const { cache } = listCache(undefined, room)
  const a1 = (await read(cache, a)).value
  t.equal((await read(cache, a)).value, a1, 'kept')
  const b1 = (await read(cache, b)).value
  t.not(b1, a1, 'another answer, another value')
  t.equal((await read(cache, b)).value, b1)
  const a2 = (await read(cache, a)).value
  t.not(a2, a1, "a's value was pushed out by b's, and parsed again")
  t.same(a2, a1)
  t.ok(Object.isFrozen(a2), 'frozen, kept or not')

  const none = listCache(undefined, 0).cache
  const [x, y] = [(await read(none, a)).value, (await read(none, a)).value]
  t.not(x, y, 'nothing kept: each read gets its own')
  t.same(x, y)
  t.ok(Object.isFrozen(x) && Object.isFrozen(y))
})

t.test('through the facade over real gRPC: a no-cache read of an unchanged list is not decoded again', async (t) => {
  const sim = await startSim(t)
  const decodes = { n: 0 }
  const { vbase } = await cachedVbase(t, sim, {
    wrap: (client) => ({
      ...client,
      async unary (method, request, ctx, how) {
        const answer = await client.unary(method, request, ctx, how)
        // Counted at the seam the cache sees: the client hands reads over undecoded.
        if (!(answer instanceof WireAnswer)) return answer
        return new WireAnswer(answer.bytes, (b) => { decodes.n++; return method.definition.responseDeserialize(b) })
      }
    })
  })
  await vbase.call('CreateBackup', { service_id: 'svc-a-1', organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: 'a-1' }, as(TOKENS.A))
  const fresh = as(TOKENS.A, { 'cache-control': 'no-cache' })
  const first = await vbase.callWithMeta('ListBackups', { service_id: 'svc-a-1' }, fresh)
  const second = await vbase.callWithMeta('ListBackups', { service_id: 'svc-a-1' }, fresh)
  t.equal(decodes.n, 1, 'the read went upstream twice and was decoded once')
  t.equal(second.meta.cache, 'bypass')
  t.equal(second.meta.etag, first.meta.etag)
  t.same(second.value, first.value)
  t.equal(second.value.backups[0]?.name, 'a-1')
})
