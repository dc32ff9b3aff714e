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
  // One-letter keys and 10-character bodies: 2 x (1 + 10) + overhead bytes each; room for three.
  const each = 2 * 11 + ENTRY_OVERHEAD_BYTES
  const bodies = new RenderedBodies(3 * each)
  const body = (c: string): string => c.repeat(10)
  t.equal(bodies.set('a', body('a')), body('a'), 'set returns the body')
  bodies.set('b', body('b'))
  bodies.set('c', body('c'))
  t.equal(bodies.size, 3)
  t.equal(bodies.bytes, 3 * each)
  t.equal(bodies.get('a'), body('a'), 'a read refreshes a')
  bodies.set('d', body('d'))
  t.equal(bodies.get('b'), undefined, 'b, the least recently used, went first')
  t.same([bodies.get('a'), bodies.get('c'), bodies.get('d')], [body('a'), body('c'), body('d')])
  t.equal(bodies.bytes, 3 * each)

  bodies.set('a', 'x')
  t.equal(bodies.get('a'), 'x', 'a key set again holds the new body')
  t.equal(bodies.bytes, 2 * each + 2 * 2 + ENTRY_OVERHEAD_BYTES, 'and counts its bytes once')

  const huge = 'h'.repeat(3 * each)
  t.equal(bodies.set('huge', huge), huge, 'a body over the bound is returned')
  t.equal(bodies.get('huge'), undefined, 'but not kept')
  t.equal(bodies.size, 3, 'nor does it evict anything')

  // Many tiny bodies: the overhead, not the bodies, is what fills the bound.
  const tiny = new RenderedBodies(100 * (ENTRY_OVERHEAD_BYTES + 4))
  for (let i = 0; i < 1000; i++) tiny.set(String(i % 10) + String.fromCharCode(65 + (i % 26)) + i, '{}')
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
  registerRoutes(app, restRoutes(), { names: 'proto', cacheTtlMs: 30_000 })
  const get = async (token: string): Promise<string> =>
    (await app.inject({ url: '/v1/vbase/svc-shared/backup', headers: { authorization: `Bearer ${token}` } })).body
  for (const round of ['first', 'again (rendered bodies kept)']) {
    t.match(await get('token-a'), /only-for-a/, `a, ${round}`)
    const b = await get('token-b')
    t.match(b, /only-for-b/, `b, ${round}`)
    t.notMatch(b, /only-for-a/, `b never sees a's list, ${round}`)
  }
})
