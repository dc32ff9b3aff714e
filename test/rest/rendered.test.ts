/**
 * Rendered REST bodies of cached reads (src/rest/rendered.ts): the store's
 * bound and order, and in the app, that a cache hit is served from the body
 * rendered at the miss (nothing parsed again) and that a write's new list
 * is rendered anew, never answered with the old body.
 */
import t from 'tap'
import Fastify from 'fastify'
import { etagOf } from '../../src/cache/keys.js'
import { registerRoutes, restRoutes } from '../../src/rest/routes.js'
import type { CallContext } from '../../src/upstream/metadata.js'
import type { Vbase } from '../../src/upstream/vbase.js'
import { ENTRY_OVERHEAD_BYTES, RenderedBodies } from '../../src/rest/rendered.js'
import { DEMO_ORG_ID, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const LIST = '/v1/vbase/svc-demo-catalog/backup'

t.test('bounded by bytes, keys and a per-entry overhead counted, least recently used out first', async (t) => {
  // One-letter keys (two bytes a character) and 10-byte bodies: 2 + 10 + overhead bytes each; room for three.
  const each = 2 + 10 + ENTRY_OVERHEAD_BYTES
  const bodies = new RenderedBodies(3 * each)
  const body = (c: string): Buffer => Buffer.from(c.repeat(10))
  t.same(bodies.set('a', body('a')), body('a'), 'set returns the body')
  bodies.set('b', body('b'))
  bodies.set('c', body('c'))
  t.equal(bodies.size, 3)
  t.equal(bodies.bytes, 3 * each)
  t.same(bodies.get('a'), body('a'), 'a read refreshes a')
  bodies.set('d', body('d'))
  t.equal(bodies.get('b'), undefined, 'b, the least recently used, went first')
  t.same([bodies.get('a'), bodies.get('c'), bodies.get('d')], [body('a'), body('c'), body('d')])
  t.equal(bodies.bytes, 3 * each)

  bodies.set('a', Buffer.from('x'))
  t.same(bodies.get('a'), Buffer.from('x'), 'a key set again holds the new body')
  t.equal(bodies.bytes, 2 * each + 2 + 1 + ENTRY_OVERHEAD_BYTES, 'and counts its bytes once')

  // Bytes, not characters: 'é' is two bytes in UTF-8.
  const accented = new RenderedBodies(2 + 20 + ENTRY_OVERHEAD_BYTES)
  accented.set('e', Buffer.from('é'.repeat(10)))
  t.equal(accented.bytes, 2 + 20 + ENTRY_OVERHEAD_BYTES, 'a body counts its UTF-8 bytes')
  accented.set('f', Buffer.from('f'))
  t.equal(accented.get('e'), undefined, 'and the bound holds by them')

  const huge = Buffer.alloc(3 * each, 'h')
  t.equal(bodies.set('huge', huge), huge, 'a body over the bound is returned')
  t.equal(bodies.get('huge'), undefined, 'but not kept')
  t.equal(bodies.size, 3, 'nor does it evict anything')

  // Many tiny bodies: the overhead, not the bodies, is what fills the bound.
  const tiny = new RenderedBodies(100 * (ENTRY_OVERHEAD_BYTES + 4))
  for (let i = 0; i < 1000; i++) tiny.set(String(i % 10) + String.fromCharCode(65 + (i % 26)) + i, Buffer.from('{}'))
  t.ok(tiny.size < 100, `${tiny.size} tiny entries kept`)
})

t.test('a hit is served from the body rendered at the miss; a write renders the new list', async (t) => {
  const { app } = await buildTestApp(t)
  const miss = await app.inject({ method: 'GET', url: LIST, headers: auth })
  t.equal(miss.statusCode, 200)
  t.equal(miss.headers['x-cache'], 'miss')

  // Nothing is parsed on a hit: not the cached entry, not anything else.
  const parse = JSON.parse
  let parsed = 0
  JSON.parse = ((...args: Parameters<typeof JSON.parse>) => { parsed++; return parse(...args) }) as typeof JSON.parse
  let hit
  try {
    hit = await app.inject({ method: 'GET', url: LIST, headers: auth })
  } finally {
    JSON.parse = parse
  }
  t.equal(hit.headers['x-cache'], 'hit')
  t.equal(parsed, 0, 'no JSON.parse while serving the hit')
  t.equal(hit.body, miss.body, 'the same bytes')
  t.equal(hit.headers.etag, miss.headers.etag)
  t.equal(hit.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(hit.headers['content-length'], String(Buffer.byteLength(miss.body)))

  const created = await app.inject({
    method: 'POST',
    url: LIST,
    headers: auth,
    payload: { service_id: 'svc-demo-catalog', organization_id: DEMO_ORG_ID, db_name: 'shop', collection_names: ['orders'], backup_name: 'rendered-test' }
  })
  t.equal(created.statusCode, 200, created.body)
  const after = await app.inject({ method: 'GET', url: LIST, headers: auth })
  t.equal(after.headers['x-cache'], 'miss', 'the write invalidated the entry')
  t.not(after.headers.etag, miss.headers.etag, 'a new ETag')
  const names = (JSON.parse(after.body) as { backups: Array<{ backup_name?: string, name?: string }> }).backups.map((b) => b.backup_name ?? b.name)
  t.ok(names.includes('rendered-test'), 'the new body lists the new backup')
  const again = await app.inject({ method: 'GET', url: LIST, headers: auth })
  t.equal(again.headers['x-cache'], 'hit')
  t.equal(again.body, after.body, 'and the next hit serves it')
})

t.test('two callers on the same URL with different answers each get their own rendered body', async (t) => {
  // A stand-in facade: the answer depends on the caller, as the upstream's does.
  const lists: Record<string, object> = {
    'Bearer token-a': { backups: [{ name: 'only-for-a', service_id: 'svc-shared' }] },
    'Bearer token-b': { backups: [{ name: 'only-for-b', service_id: 'svc-shared' }] }
  }
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('vbase', {
    async callWithMeta (_method: string, _request: object, ctx: CallContext) {
      const value = lists[ctx.headers.authorization ?? ''] ?? { backups: [] }
      return { value, meta: { cache: 'hit', etag: etagOf(JSON.stringify(value)), maxAgeMs: 10_000 } }
    }
  } as unknown as Vbase)
  registerRoutes(app, restRoutes(), { names: 'proto', cacheTtlMs: 30_000, upstreamTimeoutMs: 5_000 })
  const get = async (token: string): Promise<string> =>
    (await app.inject({ url: '/v1/vbase/svc-shared/backup', headers: { authorization: `Bearer ${token}` } })).body
  for (const round of ['first', 'again (rendered bodies kept)']) {
    t.match(await get('token-a'), /only-for-a/, `a, ${round}`)
    const b = await get('token-b')
    t.match(b, /only-for-b/, `b, ${round}`)
    t.notMatch(b, /only-for-a/, `b never sees a's list, ${round}`)
  }
})

t.test('a rendered body is sent as its UTF-8 bytes: non-ASCII names, Content-Length in bytes, HEAD too', async (t) => {
  const value = { backups: [{ name: 'sauvegarde-été-日本', service_id: 'svc-utf8' }] }
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorate('vbase', {
    async callWithMeta () {
      return { value, meta: { cache: 'hit', etag: etagOf(JSON.stringify(value)), maxAgeMs: 10_000 } }
    }
  } as unknown as Vbase)
  registerRoutes(app, restRoutes(), { names: 'proto', cacheTtlMs: 30_000, upstreamTimeoutMs: 5_000 })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/vbase/svc-utf8/backup`
  let length = 0
  for (const round of ['rendered', 'from the rendered bodies']) {
    const res = await fetch(url, { headers: auth })
    const bytes = Buffer.from(await res.arrayBuffer())
    length = bytes.length
    t.equal(res.status, 200)
    t.equal(res.headers.get('content-length'), String(bytes.length), `Content-Length counts bytes, ${round}`)
    t.equal((JSON.parse(bytes.toString('utf8')) as typeof value).backups[0]?.name, 'sauvegarde-été-日本', `the name intact, ${round}`)
  }
  const head = await fetch(url, { method: 'HEAD', headers: auth })
  t.equal(head.status, 200)
  t.equal(head.headers.get('content-length'), String(length), 'HEAD announces the same length')
  t.equal((await head.arrayBuffer()).byteLength, 0, 'and sends no body')
})
