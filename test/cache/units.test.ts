/**
 * The small pure parts: canonical keys and principals (unkeyed, and keyed
 * with a secret), the invalidation
 * table against the contract, the unfinished-job check, the memory storage's
 * LRU bounds (entries and bytes) and version rule, the guard's replay of failed invalidations,
 * and the periodic stats line.
 */
import { execFile } from 'node:child_process'
import { createHash, createHmac } from 'node:crypto'
import { promisify } from 'node:util'
import t from 'tap'
import { setupCache } from '../../src/cache/create.js'
import { bytesDigest, canonicalHashesHeld, canonicalRequest, entryKey, MAX_CANONICAL_HASHES, principalHasher, shortHash, stableStringify } from '../../src/cache/keys.js'
import { guardStorage } from '../../src/cache/guard.js'
import { createMemoryStorage, ENTRY_OVERHEAD_BYTES, entryBytes } from '../../src/cache/memory.js'
import { holdsUnfinishedJob, INVALIDATES, READ_REFERENCES, readReferences, writeInvalidates } from '../../src/cache/references.js'
import { decodeEntry, encodeEntry, type StoredEntry } from '../../src/cache/storage.js'
import { loadConfig } from '../../src/config.js'
import { contract } from '../../src/upstream/contract.js'
import { waitFor } from '../helpers/app.js'
import { nodeCommand, repoModuleUrl, TS_LOADER } from '../helpers/node-child.js'
import { redisGate } from '../helpers/redis.js'

t.test('keys: canonical request, hashed principal', async (t) => {
  t.equal(stableStringify({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}')
  const list = contract.method('ListBackups')
  t.equal(canonicalRequest(list, {}), canonicalRequest(list, { service_id: '' }), 'defaults filled in')
  t.equal(canonicalRequest(list, { service_id: 's' }), canonicalRequest(list, { service_id: 's', unknown: 1 } as object), 'unknown fields dropped')
  const principalOf = principalHasher()
  const p = principalOf('Bearer secret-token')
  t.match(p, /^[0-9a-f]{32}$/)
  t.not(p, principalOf('Bearer other-token'))
  t.equal(principalOf(undefined), 'anonymous')
  const key = entryKey(list, { service_id: 's' }, p)
  t.notOk(key.includes('secret-token'))
  t.not(key, entryKey(contract.method('ListBackupPolicies'), { service_id: 's' }, p), 'the method is part of the key')
})

t.test("an answer's digest is the base64 SHA-256 of its bytes", async (t) => {
  const bytes = Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63, 0x00, 0xff])
  t.equal(bytesDigest(bytes), createHash('sha256').update(bytes).digest('base64'))
  t.not(bytesDigest(bytes), bytesDigest(bytes.subarray(1)))
})

t.test('principals: unkeyed without a secret, exactly as before; HMAC-SHA256 under the secret with one', async (t) => {
  const token = 'Bearer vbase-dev-token'
  const [secret, other] = ['principal-secret-0123456789', 'another-principal-secret-42']
  const unkeyed = principalHasher()
  // Computed apart from the code under test: the release before the secret
  // stored sha256("authorization:" + value), first 32 hex characters. The
  // literal is `printf 'authorization:Bearer vbase-dev-token' | sha256sum`.
  t.equal(unkeyed(token), '79b62df7fcc8e2291ae68ed44066648d', 'the unkeyed principal is the one already in Redis')
  t.equal(unkeyed(token), createHash('sha256').update(`authorization:${token}`).digest('hex').slice(0, 32))
  t.equal(principalHasher(undefined)(token), unkeyed(token), 'an explicit undefined is no secret')

  const keyed = principalHasher(secret)
  // `printf 'Bearer vbase-dev-token' | openssl dgst -sha256 -hmac principal-secret-0123456789`
  t.equal(keyed(token), '45c3ed47a4edba2bafdd3c01abf503e1', 'HMAC-SHA256 of the raw value under the secret, truncated')
  t.equal(keyed(token), createHmac('sha256', secret).update(token).digest('hex').slice(0, 32))
  t.match(keyed(token), /^[0-9a-f]{32}$/, 'the same length as the unkeyed one')
  t.not(keyed(token), unkeyed(token), 'keyed differs from unkeyed for the same token')
  t.equal(keyed(token), keyed(token), 'stable across calls')
  t.equal(principalHasher(secret)(token), keyed(token), 'the same secret in another app (a replica) gives the same principal')
  t.not(principalHasher(other)(token), keyed(token), 'another secret gives another principal')
  t.not(keyed('Bearer other-token'), keyed(token), 'another token gives another principal')
  for (const principalOf of [unkeyed, keyed]) {
    t.equal(principalOf(undefined), 'anonymous', 'no Authorization: anonymous')
    t.equal(principalOf(''), 'anonymous', 'an empty Authorization: anonymous')
    // The scheme is case-insensitive and the spaces around the token are no part of it: one caller, one principal.
    for (const spelling of ['bearer vbase-dev-token', 'BEARER vbase-dev-token', 'Bearer  vbase-dev-token', 'Bearer\tvbase-dev-token ', 'bEaReR vbase-dev-token']) {
      t.equal(principalOf(spelling), principalOf(token), `${JSON.stringify(spelling)} is the caller of ${JSON.stringify(token)}`)
    }
    t.not(principalOf('Bearer VBASE-DEV-TOKEN'), principalOf(token), 'the token keeps its case')
    t.not(principalOf('Basic vbase-dev-token'), principalOf(token), 'another scheme is another credential')
    t.not(principalOf('Bearer vbase-dev-token extra'), principalOf(token), 'a value that is no bearer credential is taken as it is')
  }
})

t.test('keys: the canonical hash of a request asked again is remembered, and is the same hash', async (t) => {
  const list = contract.method('ListBackups')
  const direct = (request: object): string => `e:ListBackups:p:${shortHash(canonicalRequest(list, request))}`
  for (const request of [{ service_id: 'svc-1' }, {}, { service_id: '' }, { service_id: 'svc-1', unknown: 1 }]) {
    t.equal(entryKey(list, request, 'p'), direct(request), `${JSON.stringify(request)}: first time`)
    t.equal(entryKey(list, request, 'p'), direct(request), `${JSON.stringify(request)}: remembered`)
  }
  t.equal(entryKey(list, {}, 'p'), entryKey(list, { service_id: '' }, 'p'), 'defaults still filled in')
  const nested = { service_id: 'svc-1', extra: { a: 1 } }
  t.equal(entryKey(list, nested, 'p'), direct(nested), 'a request that is not flat is hashed every time, the same way')
  t.not(entryKey(list, { service_id: 'svc-1' }, 'p'), entryKey(contract.method('ListBackupPolicies'), { service_id: 'svc-1' }, 'p'), 'per method')
  for (let i = 0; i < MAX_CANONICAL_HASHES + 50; i++) entryKey(list, { service_id: `bound-${i}` }, 'p')
  t.equal(canonicalHashesHeld(), MAX_CANONICAL_HASHES, 'bounded')
  t.equal(entryKey(list, { service_id: 'bound-0' }, 'p'), direct({ service_id: 'bound-0' }), 'an evicted one is computed again')
})

t.test('the invalidation table covers the contract: every read has references, every write invalidates', async (t) => {
  const reads = [...contract.methods.values()].filter((m) => m.read).map((m) => m.name).sort()
  const writes = [...contract.methods.values()].filter((m) => !m.read).map((m) => m.name).sort()
  t.same(Object.keys(READ_REFERENCES).sort(), reads)
  t.same(Object.keys(INVALIDATES).sort(), writes)
})

t.test('references from request and response fields', async (t) => {
  const org = 'AAAAAAAA-1111-4111-8111-111111111111'
  t.same(readReferences('ListBackups', { service_id: 's 1' }, { backups: [] }), ['backups:s%201'], 'ids are encoded into one token')
  t.same(readReferences('ListBackupByOrg', { organization_id: org }, { backups: [{ service_id: 's1' }, { service_id: 's2' }, { service_id: 's1' }] }),
    [`org:${org.toLowerCase()}`, 'org-holding:s1', 'org-holding:s2'])
  t.same(writeInvalidates('DeleteBackup', { service_id: 's1', backup_name: 'b' }, { backup: { organization_id: org } }),
    ['backups:s1', 'org-holding:s1', `org:${org.toLowerCase()}`])
  t.same(writeInvalidates('DeleteBackup', { service_id: 's1', backup_name: 'b' }, undefined), ['backups:s1', 'org-holding:s1'], 'unknown outcome: request fields only')
  t.same(writeInvalidates('UpdateBackupPolicy', { service_id: 's1' }, { service_id: 's1' }), ['policies:s1'])
})

t.test('unfinished jobs', async (t) => {
  t.ok(holdsUnfinishedJob({ backups: [{ status: 'COMPLETED' }, { status: 'RUNNING' }] }))
  t.ok(holdsUnfinishedJob({ backups: [{ status: 'PENDING' }] }))
  t.notOk(holdsUnfinishedJob({ backups: [{ status: 'COMPLETED' }, { status: 'FAILED' }] }))
  t.notOk(holdsUnfinishedJob({ policies: [{ is_active: true }] }))
})

const entry = (stamp: number, refs: string[], body = '{}'): StoredEntry => ({ body, etag: '"e"', expiresAt: 1e15, stamp, refs })

t.test('entries survive encoding; a malformed one is a miss', async (t) => {
  const e = { ...entry(7, ['backups:s1', 'org:o']), body: '{"a":"x\\ny"}' }
  t.same(decodeEntry(encodeEntry(e)), e)
  t.equal(decodeEntry('garbage'), undefined)
  const fetched = { ...e, fetchedAt: 1_700_000_000_123 }
  t.equal(encodeEntry(fetched).split('\n')[0], '7 1000000000000000 "e" @1700000000123 backups:s1 org:o', 'the fetch time sits first among the references')
  t.same(decodeEntry(encodeEntry(fetched)), fetched)
  t.same(decodeEntry('7 1000000000000000 "e" backups:s1 org:o\n{}'), entry(7, ['backups:s1', 'org:o']), 'an entry written before the fetch time was kept: none')
  t.equal(decodeEntry('7 1000000000000000 "e" @soon backups:s1\n{}'), undefined, 'a fetch time that is no number: a miss')
})

t.test('memory storage: LRU bound and the version rule', async (t) => {
  const m = createMemoryStorage({ maxEntries: 2, maxVersions: 2 })
  await m.set('a', entry(0, ['r:a']), 1000)
  await m.set('b', entry(0, ['r:b']), 1000)
  await m.get('a') // a is now the most recent
  await m.set('c', entry(0, ['r:c']), 1000)
  t.ok(await m.get('a'))
  t.notOk(await m.get('b'), 'the least recently used entry went first')

  const stamp = await m.sequence()
  await m.invalidate(['r:a'])
  t.notOk(await m.get('a'), 'an invalidated reference hides the entry')
  t.ok(await m.get('c'))
  t.equal(await m.set('a', entry(stamp, ['r:a']), 1000), 'superseded', 'an answer read before the invalidation is refused')
  t.equal(await m.set('a', entry(await m.sequence(), ['r:a']), 1000), 'stored')

  // Forgetting a version must never revive what it hid.
  const old = await m.sequence()
  await m.set('x', entry(old, ['r:x']), 1000)
  await m.invalidate(['r:x'])
  await m.invalidate(['r:y'])
  await m.invalidate(['r:z']) // r:x's version is forgotten here
  t.equal(await m.set('x', entry(old, ['r:x']), 1000), 'superseded', 'a forgotten reference reads as the highest forgotten version')
})

t.test('memory storage: bounded by bytes too, least recently used first; a larger entry is not kept', async (t) => {
  // Key 'k1' + body of 100 characters + etag '"e"' + ref 'r:k1': (2 + 100 + 3 + 4) x 2 + overhead.
  const sized = (stamp: number, n: number, key: string): StoredEntry => entry(stamp, [`r:${key}`], 'x'.repeat(n))
  const each = entryBytes('k1', sized(0, 100, 'k1'))
  t.equal(each, 2 * (2 + 100 + 3 + 4) + ENTRY_OVERHEAD_BYTES, 'two bytes a character of key, body, etag and refs, and the overhead')

  const m = createMemoryStorage({ maxEntries: 100, maxBytes: 3 * each })
  for (const key of ['k1', 'k2', 'k3']) t.equal(await m.set(key, sized(0, 100, key), 1000), 'stored')
  t.same(m.held(), { entries: 3, bytes: 3 * each }, 'three fill the bound exactly')
  await m.get('k1') // k1 is now the most recent
  await m.set('k4', sized(0, 100, 'k4'), 1000)
  t.notOk(await m.get('k2'), 'the least recently used went first')
  t.ok(await m.get('k1'))
  t.same(m.held(), { entries: 3, bytes: 3 * each })

  // One entry as heavy as two: two go, the least recently used first.
  const double = sized(0, 100 + each / 2, 'k5')
  t.equal(entryBytes('k5', double), 2 * each)
  await m.set('k5', double, 1000)
  t.notOk(await m.get('k3'))
  t.notOk(await m.get('k4'))
  t.ok(await m.get('k1'), 'the recently read one stays')
  t.same(m.held(), { entries: 2, bytes: 3 * each })

  t.equal(await m.set('k1', sized(0, 10, 'k1'), 1000), 'stored', 'a key set again')
  t.equal(m.held().bytes, 2 * each + entryBytes('k1', sized(0, 10, 'k1')), 'counts its new weight only')

  t.equal(await m.set('huge', sized(0, 2 * each, 'huge'), 1000), 'refused', 'an entry larger than the bound is refused')
  t.notOk(await m.get('huge'))
  t.equal(m.held().entries, 2, 'and pushes nothing out')

  await m.close()
  t.same(m.held(), { entries: 0, bytes: 0 })
})

t.test('memory storage: an expired or invalidated entry gives its bytes back when found', async (t) => {
  let now = 0
  const m = createMemoryStorage({ maxEntries: 100, maxBytes: 1e6, now: () => now })
  await m.set('old', { ...entry(0, ['r:old']), expiresAt: 10 }, 10)
  await m.set('hidden', entry(0, ['r:hidden']), 1000)
  t.equal(m.held().entries, 2)
  now = 11
  t.notOk(m.peek?.('old'), 'expired')
  await m.invalidate(['r:hidden'])
  t.notOk(await m.get('hidden'), 'invalidated')
  t.same(m.held(), { entries: 0, bytes: 0 })
})

t.test('the periodic stats line', async (t) => {
  const lines: string[] = []
  const logger = { info: (_o: object, msg: string) => { lines.push(msg) }, warn: (_o: object, msg: string) => { lines.push(msg) } }
  const hits: string[] = []
  const setup = await setupCache(loadConfig({ CACHE_STATS_LOG_MS: '10' }), logger, { principal: principalHasher(), hooks: { onMiss: (m) => { hits.push(m); throw new Error('a hook failing is ignored') } } })
  t.teardown(() => setup.close())
  const read = await setup.cache.read(contract.method('ListBackups'), { service_id: 's' }, { headers: {} }, async () => ({ backups: [] }))
  t.equal(read.cache, 'miss')
  t.same(hits, ['ListBackups'])
  await waitFor(() => lines.includes('cache stats'), 2000, 5)
  t.pass('logged while there is activity')
})

t.test('a missing Redis fails the Redis tests under CI=true and skips them otherwise', async (t) => {
  const failures: string[] = []
  const fake = { fail: (m: string) => { failures.push(m) }, teardown: () => {} }
  const inCi = await redisGate(fake, 'redis://127.0.0.1:1', true)
  t.equal(failures.length, 1)
  t.match(failures[0], /CI=true/)
  t.ok(inCi.skip, 'the dependent tests do not run on top of the failure')
  const local = await redisGate(fake, 'redis://127.0.0.1:1', false)
  t.match(local.skip, /no Redis at redis:\/\/127\.0\.0\.1:1/)
  t.equal(failures.length, 1, 'outside CI: a skip with a message, no failure')
})

t.test('guard: an invalidation failing during a replay is kept for the next one', async (t) => {
  let now = 0
  // The storage's invalidate answers as the test says, one call at a time.
  const invalidated: string[][] = []
  const answers: Array<{ promise: Promise<void>, resolve: () => void, reject: (e: Error) => void }> = []
  const next = (): Promise<void> => {
    let resolve!: () => void
    let reject!: (e: Error) => void
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
    answers.push({ promise, resolve, reject })
    return promise
  }
  const inner = { ...createMemoryStorage({ maxEntries: 10 }), invalidate: (refs: string[]) => { invalidated.push(refs); return next() } }
  const quiet = { warn: () => {}, info: () => {} }
  const guard = guardStorage(inner, { timeoutMs: 60_000, retryAfterMs: 1000, logIntervalMs: 0, now: () => now, logger: quiet })

  const failed = guard.invalidate(['svc:a'])
  answers[0]?.reject(new Error('down'))
  await t.rejects(failed)
  now += 1000 // the storage may be tried again

  const replaying = guard.get('k') // replays ['svc:a'] first
  await waitFor(() => invalidated.length === 2)
  t.same(invalidated[1], ['svc:a'])
  // Meanwhile a newer write invalidates the same reference, and that fails too.
  const newer = guard.invalidate(['svc:a', 'svc:b'])
  await waitFor(() => invalidated.length === 3)
  t.same(invalidated[2], ['svc:a', 'svc:b'], 'the newer invalidation (no replay: the pending set was taken)')
  answers[2]?.reject(new Error('down again'))
  await t.rejects(newer)
  answers[1]?.resolve() // the old replay succeeds after the newer failure
  await replaying

  now += 1000
  const after = guard.get('k')
  await waitFor(() => invalidated.length === 4)
  t.same(invalidated[3]?.sort(), ['svc:a', 'svc:b'], "the newer failure's references are replayed, svc:a included")
  answers[3]?.resolve()
  await after
})

t.test('guard: each operation races a timer, except with timeoutMs 0 (the memory storage)', async (t) => {
  const quiet = { warn: () => {}, info: () => {} }
  const realSetTimeout = globalThis.setTimeout
  async function timersFor (timeoutMs: number): Promise<number> {
    const guard = guardStorage(createMemoryStorage({ maxEntries: 10 }), { timeoutMs, retryAfterMs: 1000, logIntervalMs: 0, now: Date.now, logger: quiet })
    let timers = 0
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => { timers++; return realSetTimeout(...args) }) as typeof setTimeout
    try {
      t.equal(await guard.set('k', entry(0, ['svc:a']), 1000), 'stored')
      t.equal((await guard.get('k'))?.body, '{}', 'served all the same')
    } finally {
      globalThis.setTimeout = realSetTimeout
    }
    return timers
  }
  t.equal(await timersFor(50), 2, 'a timer per operation with a timeout')
  t.equal(await timersFor(0), 0, 'none without')
})

t.test('guard: peek answers in the same tick, but not while the storage is down or an invalidation waits for replay', async (t) => {
  let now = 0
  const memory = createMemoryStorage({ maxEntries: 10, now: () => now })
  let fail = false
  const inner = { ...memory, invalidate: async (refs: string[]) => { if (fail) throw new Error('down'); await memory.invalidate(refs) } }
  const guard = guardStorage(inner, { timeoutMs: 0, retryAfterMs: 1000, logIntervalMs: 0, now: () => now, logger: { warn: () => {}, info: () => {} } })
  await guard.set('k', entry(0, ['svc:a']), 1000)
  t.equal(guard.peek?.('k')?.body, '{}', 'a stored entry')
  t.equal(guard.peek?.('other'), undefined, 'an absent one')

  fail = true
  await t.rejects(guard.invalidate(['svc:b']))
  t.equal(guard.peek?.('k'), undefined, 'not while down')
  now += 1000
  t.equal(guard.peek?.('k'), undefined, 'nor while svc:b waits for replay')
  fail = false
  t.equal((await guard.get('k'))?.body, '{}', 'get replays it first (k does not depend on svc:b)')
  t.equal(guard.peek?.('k')?.body, '{}', 'then peek answers again')
  await guard.invalidate(['svc:a'])
  t.equal(guard.peek?.('k'), undefined, 'and never an invalidated entry')
})

t.test('ioredis is loaded only when Redis is configured', async (t) => {
  // In a process of its own: this one has loaded ioredis for its other tests.
  const script = `
    import { createRequire } from 'node:module'
    const { buildApp } = await import(${JSON.stringify(repoModuleUrl('src/app.ts'))})
    const { loadConfig } = await import(${JSON.stringify(repoModuleUrl('src/config.ts'))})
    const { createLogger } = await import(${JSON.stringify(repoModuleUrl('src/logger.ts'))})
    const modules = createRequire(process.cwd() + '/').cache
    const loaded = []
    // No Redis; then the cache and the rate-limit counters in Redis (none listening there: both boot without it).
    for (const env of [{}, { CACHE_REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_SHARED: 'true', CACHE_REDIS_TIMEOUT_MS: '100' }]) {
      const config = loadConfig({ LOG_LEVEL: 'silent', ...env })
      const app = await buildApp({ config, upstream: '127.0.0.1:1', logger: createLogger(config) })
      await app.ready()
      loaded.push(Object.keys(modules).some((f) => /[\\/]node_modules[\\/]ioredis[\\/]/.test(f)))
      await app.close()
    }
    process.stdout.write(JSON.stringify(loaded))
  `
  const { stdout } = await promisify(execFile)(...nodeCommand([...TS_LOADER, '--input-type=module', '-e', script]))
  t.same(JSON.parse(stdout), [false, true], 'not without CACHE_REDIS_URL; loaded with it')
})

