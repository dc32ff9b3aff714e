/**
 * Rendered REST bodies of cached reads (src/rest/rendered.ts): the store's
 * bound and order, and in the app, that a cache hit is served from the body
 * rendered at the miss (nothing parsed again) and that a write's new list
 * is rendered anew, never answered with the old body.
 */
import t from 'tap'
import { RenderedBodies } from '../../src/rest/rendered.js'
import { DEMO_ORG_ID, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const LIST = '/v1/vbase/svc-demo-catalog/backup'

t.test('bounded by bytes, least recently used out first', async (t) => {
  // Strings count two bytes a character: room for three bodies of 10 characters.
  const bodies = new RenderedBodies(60)
  const body = (c: string): string => c.repeat(10)
  t.equal(bodies.set('a', body('a')), body('a'), 'set returns the body')
  bodies.set('b', body('b'))
  bodies.set('c', body('c'))
  t.equal(bodies.size, 3)
  t.equal(bodies.bytes, 60)
  t.equal(bodies.get('a'), body('a'), 'a read refreshes a')
  bodies.set('d', body('d'))
  t.equal(bodies.get('b'), undefined, 'b, the least recently used, went first')
  t.same([bodies.get('a'), bodies.get('c'), bodies.get('d')], [body('a'), body('c'), body('d')])
  t.equal(bodies.bytes, 60)

  bodies.set('a', 'x')
  t.equal(bodies.get('a'), 'x', 'a key set again holds the new body')
  t.equal(bodies.bytes, 42, 'and counts its bytes once')

  t.equal(bodies.set('huge', 'h'.repeat(31)), 'h'.repeat(31), 'a body over the bound is returned')
  t.equal(bodies.get('huge'), undefined, 'but not kept')
  t.equal(bodies.size, 3, 'nor does it evict anything')
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
