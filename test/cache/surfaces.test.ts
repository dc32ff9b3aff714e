/**
 * The cache under both surfaces: REST shows X-Cache and the entry's ETag,
 * REST and GraphQL share one entry (counted at the simulator), and
 * `Cache-Control: no-cache` (or `max-age=0`, or `Pragma: no-cache`) bypasses the cache on both and refreshes it.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { DEMO_ORG_ID, DEV_TOKEN } from '../../src/simulator/index.js'
import { contextFromHeaders } from '../../src/upstream/metadata.js'
import { buildTestApp } from '../helpers/app.js'

// The demo service whose jobs are all finished: its list keeps the full TTL.
const SVC = 'svc-demo-analytics'
const auth = { authorization: `Bearer ${DEV_TOKEN}` }

async function rest (app: FastifyInstance, headers: Record<string, string> = {}) {
  return await app.inject({ method: 'GET', url: `/v1/vbase/${SVC}/backup`, headers: { ...auth, ...headers } })
}

async function gql (app: FastifyInstance, query: string, headers: Record<string, string> = {}): Promise<{ data?: Record<string, unknown>, errors?: unknown[] }> {
  const res = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', ...auth, ...headers }, payload: { query } })
  return res.json()
}

const SERVICE_QUERY = `{ service(id: "${SVC}") { backups { totalCount nodes { name status } } } }`
const ORG_QUERY = `{ organization(id: "${DEMO_ORG_ID}") { backups { totalCount } } }`

t.test('REST: X-Cache miss then hit, the ETag from the entry, max-age from its remaining TTL', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const miss = await rest(app)
  t.equal(miss.statusCode, 200)
  t.equal(miss.headers['x-cache'], 'miss')
  const hit = await rest(app)
  t.equal(hit.headers['x-cache'], 'hit')
  t.equal(hit.headers.etag, miss.headers.etag, 'the ETag is stable while the entry lives')
  t.equal(hit.body, miss.body)
  t.match(hit.headers['cache-control'], /^private, max-age=(29|30)$/)
  const facade = await app.vbase.callWithMeta('ListBackups', { service_id: SVC }, contextFromHeaders(auth))
  t.equal(facade.meta.cache, 'hit')
  t.equal(hit.headers.etag, facade.meta.etag, "REST's ETag is the entry's")
  t.equal(sim.callCount('ListBackups'), 1)
})

t.test('REST and GraphQL share one entry', async (t) => {
  const { app, sim } = await buildTestApp(t)
  t.equal((await rest(app)).headers['x-cache'], 'miss')
  const viaGql = await gql(app, SERVICE_QUERY)
  t.equal(viaGql.errors, undefined)
  t.match(viaGql.data, { service: { backups: { totalCount: 2 } } })
  t.equal(sim.callCount('ListBackups'), 1, 'GraphQL read the entry REST warmed')

  t.match(await gql(app, ORG_QUERY), { data: { organization: { backups: { totalCount: 7 } } } })
  const org = await app.inject({ method: 'POST', url: `/v1/vbase/backup/org/${DEMO_ORG_ID}`, headers: auth, payload: {} })
  t.equal(org.statusCode, 200)
  t.equal(org.headers['x-cache'], 'hit', 'REST read the entry GraphQL warmed')
  t.equal(sim.callCount('ListBackupByOrg'), 1)
  t.match(app.vbase.cacheStats(), { methods: { ListBackups: { hits: 1, misses: 1 }, ListBackupByOrg: { hits: 1, misses: 1 } } })
})

t.test('Cache-Control: no-cache goes upstream on REST and GraphQL, and refreshes the entry', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const first = await rest(app)
  sim.failJob(SVC, 'analytics-events-001', 'corrupt archive') // a change the gateway did not see
  t.equal((await rest(app)).headers.etag, first.headers.etag, 'still served from the entry')
  t.equal(sim.callCount('ListBackups'), 1)

  const bypass = await rest(app, { 'cache-control': 'no-cache' })
  t.equal(sim.callCount('ListBackups'), 2, 'REST no-cache went upstream')
  t.not(bypass.headers.etag, first.headers.etag)
  const after = await rest(app)
  t.equal(after.headers['x-cache'], 'hit')
  t.equal(after.headers.etag, bypass.headers.etag, 'the fresh answer replaced the entry')

  const cached = await gql(app, SERVICE_QUERY)
  t.equal(sim.callCount('ListBackups'), 2, 'GraphQL without no-cache is served from the entry')
  const fresh = await gql(app, SERVICE_QUERY, { 'cache-control': 'no-cache' })
  t.equal(sim.callCount('ListBackups'), 3, 'GraphQL no-cache went upstream')
  t.same(fresh.data, cached.data)
  t.equal(sim.calls.at(-1)?.metadata.authorization, auth.authorization)
  t.equal(app.vbase.cacheStats()?.methods.ListBackups?.bypasses, 2)
})

t.test("what a browser's fetch(url, { cache: 'no-cache' }) sends, max-age=0, and Pragma: no-cache read through too; other directives do not", async (t) => {
  const { app, sim } = await buildTestApp(t)
  await rest(app)
  const fresh: Array<Record<string, string>> = [
    { 'cache-control': 'max-age=0' },
    { 'cache-control': 'Max-Age = "0"' },
    { 'cache-control': 'private, no-cache' },
    { pragma: 'no-cache' }
  ]
  for (const headers of fresh) {
    const before = sim.callCount('ListBackups')
    t.equal((await rest(app, headers)).headers['x-cache'], 'miss', `REST ${JSON.stringify(headers)}`)
    await gql(app, SERVICE_QUERY, headers)
    t.equal(sim.callCount('ListBackups'), before + 2, `${JSON.stringify(headers)}: REST and GraphQL went upstream`)
  }
  const cached: Array<Record<string, string>> = [
    { 'cache-control': 'max-age=60' },
    { 'cache-control': 'max-age=00060' },
    { 'cache-control': 'no-store' },
    { 'cache-control': 'no-cache="set-cookie"' },
    { 'cache-control': 'max-age=60', pragma: 'no-cache' }
  ]
  for (const headers of cached) {
    const before = sim.callCount('ListBackups')
    t.equal((await rest(app, headers)).headers['x-cache'], 'hit', `REST ${JSON.stringify(headers)}`)
    await gql(app, SERVICE_QUERY, headers)
    t.equal(sim.callCount('ListBackups'), before, `${JSON.stringify(headers)}: served from the entry (Pragma only counts without Cache-Control)`)
  }
})
