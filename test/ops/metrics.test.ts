/**
 * /metrics: Prometheus text from a registry per app, HTTP requests by route
 * pattern or GraphQL operation, upstream calls by method and gRPC code, calls
 * in flight, cache reads and invalidations, loader batch sizes, and
 * METRICS_ENABLED=false turning it all off.
 */
import t from 'tap'
import { status } from '@grpc/grpc-js'
import type { FastifyInstance } from 'fastify'
import { ANONYMOUS_OPERATION, BATCH_OPERATION, MAX_OPERATION_LABELS, OTHER_OPERATION } from '../../src/ops/metrics.js'
import { DEMO_ORG_ID, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp, listenOnLoopback, waitFor } from '../helpers/app.js'
import { find, scrape, total } from '../helpers/metrics.js'
import { raw } from '../helpers/raw-http.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const SVC = 'svc-demo-analytics'
const LIST_ROUTE = '/v1/vbase/:service_id/backup'

function gql (app: FastifyInstance, payload: unknown, headers: Record<string, string> = auth) {
  return app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', ...headers }, payload: payload as object })
}

t.test('Prometheus text with the process metrics, no token asked', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.match(res.body, /^# HELP process_cpu_user_seconds_total /m, 'default process metrics')
  t.match(res.body, /^nodejs_heap_size_used_bytes \d/m)
  t.match(res.body, /^# TYPE vbgw_http_request_duration_seconds histogram$/m)
})

t.test('HTTP requests by route pattern and status, never the raw URL', async (t) => {
  const { app } = await buildTestApp(t)
  t.equal((await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: auth })).statusCode, 200)
  t.equal((await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers: auth })).statusCode, 200)
  t.equal((await app.inject({ url: `/v1/vbase/${SVC}/backup` })).statusCode, 401)
  t.equal((await app.inject('/no/such/path/12345')).statusCode, 404)
  t.equal((await app.inject({ method: 'PUT', url: `/v1/vbase/${SVC}/backup`, headers: auth })).statusCode, 405)
  t.equal((await app.inject({ method: 'GET', url: '/v1/vbase/backup/org/12345', headers: auth })).statusCode, 405)
  const m = await scrape(app)
  t.equal(total(m, 'vbgw_http_requests_total', { method: 'PUT', route: LIST_ROUTE, status_code: '405' }), 1, 'a wrong method on a known path counts under its pattern')
  t.equal(total(m, 'vbgw_http_requests_total', { method: 'GET', route: '/v1/vbase/backup/org/:organization_id', status_code: '405' }), 1)
  t.equal(total(m, 'vbgw_http_requests_total', { route: 'unmatched', status_code: '405' }), 0)
  t.equal(total(m, 'vbgw_http_requests_total', { method: 'GET', route: LIST_ROUTE, status_code: '200' }), 2)
  t.equal(total(m, 'vbgw_http_requests_total', { method: 'GET', route: LIST_ROUTE, status_code: '401' }), 1)
  t.equal(total(m, 'vbgw_http_requests_total', { route: 'unmatched', status_code: '404' }), 1)
  t.equal(total(m, 'vbgw_http_request_duration_seconds_count', { route: LIST_ROUTE, status_code: '200' }), 2, 'latency histogram')
  t.ok(find(m, 'vbgw_http_request_duration_seconds_bucket', { route: LIST_ROUTE, le: '+Inf' }).length > 0)
  const routes = new Set(m.filter((s) => s.name.startsWith('vbgw_http_')).map((s) => s.labels.route))
  t.notOk([...routes].some((r) => r?.includes('svc-demo') || r?.includes('12345')), 'no raw path in any label')
  t.equal(find(m, 'vbgw_http_requests_total', { route: '/metrics' }).length, 0, 'scrapes are not counted')
})

t.test("requests Node's parser refuses are counted by the status answered, apart from the routed ones", async (t) => {
  const { app } = await buildTestApp(t, { env: { MAX_HEADER_BYTES: '4096' } })
  const port = await listenOnLoopback(app)
  const big = await raw(port, ['GET /healthz HTTP/1.1', `X-Big: ${'a'.repeat(8192)}`, 'Host: 127.0.0.1', '', ''].join('\r\n'))
  t.equal(big.status, 431)
  const broken = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')
  t.equal(broken.status, 400)
  const m = await scrape(app)
  t.equal(total(m, 'vbgw_http_malformed_requests_total', { status_code: '431' }), 1)
  t.equal(total(m, 'vbgw_http_malformed_requests_total', { status_code: '400' }), 1)
  t.equal(total(m, 'vbgw_http_malformed_requests_total'), 2)
  t.equal(total(m, 'vbgw_http_requests_total'), 0, 'no route saw them')
})

t.test('GraphQL requests by operation name, anonymous, batch; rejected ones keep their name', async (t) => {
  const { app } = await buildTestApp(t)
  const named = `query ServiceBackups { service(id: "${SVC}") { backups { totalCount } } }`
  t.equal((await gql(app, { query: named })).statusCode, 200)
  t.equal((await gql(app, { query: `{ service(id: "${SVC}") { backups { totalCount } } }` })).statusCode, 200)
  t.equal((await gql(app, [{ query: named }, { query: '{ __typename }' }])).statusCode, 200)
  const two = `query A { __typename } query B { service(id: "${SVC}") { backups { totalCount } } }`
  t.equal((await gql(app, { query: two, operationName: 'B' })).statusCode, 200)
  t.equal((await gql(app, { query: named }, {})).statusCode, 401, 'no token')
  t.equal((await gql(app, { query: '{ nope }' })).statusCode, 400, 'not executed')
  const m = await scrape(app)
  const gqlReq = (operation: string, code = '200') => total(m, 'vbgw_http_requests_total', { route: '/graphql', operation, status_code: code })
  t.equal(gqlReq('ServiceBackups'), 1)
  t.equal(gqlReq('ServiceBackups', '401'), 1)
  t.equal(gqlReq(ANONYMOUS_OPERATION), 1)
  t.equal(gqlReq(BATCH_OPERATION), 1)
  t.equal(gqlReq('B'), 1, 'the operation the request named')
  t.equal(gqlReq('', '400'), 1, 'a request that never ran has no operation')
})

t.test('an operation named like a reserved label keeps its own: no caller can count as a batch or as the others', async (t) => {
  const { app } = await buildTestApp(t)
  const fields = `{ service(id: "${SVC}") { backups { totalCount } } }`
  for (const name of ['batch', 'anonymous', 'other']) {
    t.equal((await gql(app, { query: `query ${name} ${fields}` })).statusCode, 200)
  }
  t.equal((await gql(app, [{ query: fields }, { query: fields }])).statusCode, 200, 'a batch')
  t.equal((await gql(app, { query: fields })).statusCode, 200, 'an anonymous operation')
  t.equal((await gql(app, { query: `query Unanswered { __typename }` })).statusCode, 200, 'a name that is not a label')
  const m = await scrape(app)
  const gqlReq = (operation: string) => total(m, 'vbgw_http_requests_total', { route: '/graphql', operation, status_code: '200' })
  for (const name of ['batch', 'anonymous', 'other']) t.equal(gqlReq(name), 1, `the operation named ${name}`)
  t.equal(gqlReq(BATCH_OPERATION), 1)
  t.equal(gqlReq(ANONYMOUS_OPERATION), 1)
  t.equal(gqlReq(OTHER_OPERATION), 1)
})

t.test('operation names are capped: callers cannot grow the series without bound', async (t) => {
  const { app } = await buildTestApp(t)
  const fields = `{ service(id: "${SVC}") { backups { totalCount } } }`
  for (let i = 0; i < MAX_OPERATION_LABELS + 5; i++) {
    t.equal((await gql(app, { query: `query Op${i} ${fields}` })).statusCode, 200)
  }
  t.equal((await gql(app, { query: `query ${'L'.repeat(65)} ${fields}` })).statusCode, 200)
  const m = await scrape(app)
  const ops = new Set(find(m, 'vbgw_http_requests_total', { route: '/graphql' }).map((s) => s.labels.operation))
  t.equal(ops.size, MAX_OPERATION_LABELS + 1, `the cap, plus ${OTHER_OPERATION}`)
  t.equal(total(m, 'vbgw_http_requests_total', { route: '/graphql', operation: OTHER_OPERATION }), 6)
})

t.test('a name becomes a label once VBase answered a request under it: callers without a valid token cannot use up the labels', async (t) => {
  const { app } = await buildTestApp(t)
  const fields = `{ service(id: "${SVC}") { backups { totalCount } } }`
  const bogus = { authorization: 'Bearer not-a-token' }
  // Any bearer passes the gateway's own check; only VBase judges the token.
  for (let i = 0; i < MAX_OPERATION_LABELS + 5; i++) {
    t.equal((await gql(app, { query: `query Spoof${i} { __typename }` }, bogus)).statusCode, 200, 'answered without calling VBase')
  }
  t.match((await gql(app, { query: `query Refused ${fields}` }, bogus)).json(), { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] })
  t.equal((await gql(app, { query: `query Refused ${fields}` }, {})).statusCode, 401)
  t.equal((await gql(app, { query: `query Fresh { __typename }` })).statusCode, 200, 'a valid token, but nothing asked of VBase')
  let m = await scrape(app)
  const gqlReq = (operation: string, code = '200') => total(m, 'vbgw_http_requests_total', { route: '/graphql', operation, status_code: code })
  t.same(new Set(find(m, 'vbgw_http_requests_total', { route: '/graphql' }).map((s) => s.labels.operation)), new Set([OTHER_OPERATION]), 'no name became a label')
  t.equal(gqlReq(OTHER_OPERATION), MAX_OPERATION_LABELS + 7)

  t.equal((await gql(app, { query: `query Refused ${fields}` })).statusCode, 200, 'the same name, answered by VBase')
  t.match((await gql(app, { query: `query Refused ${fields}` }, bogus)).json(), { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] })
  t.equal((await gql(app, { query: `query Refused ${fields}` }, {})).statusCode, 401)
  m = await scrape(app)
  t.equal(gqlReq('Refused'), 2, 'a label from then on, refused requests under it included')
  t.equal(gqlReq('Refused', '401'), 1)
  t.equal(gqlReq(OTHER_OPERATION), MAX_OPERATION_LABELS + 7, 'the earlier ones stay where they were counted')
})

t.test('upstream calls by method and gRPC code, with latency; retries count each try', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const noCache = { ...auth, 'cache-control': 'no-cache' }
  t.equal((await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: noCache })).statusCode, 200)
  sim.faults.failNext(1, status.UNAVAILABLE)
  t.equal((await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: noCache })).statusCode, 200, 'retried')
  sim.faults.failNext(1, status.NOT_FOUND)
  t.equal((await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: noCache })).statusCode, 404)
  const m = await scrape(app)
  t.equal(total(m, 'vbgw_upstream_calls_total', { method: 'ListBackups', code: 'OK' }), 2)
  t.equal(total(m, 'vbgw_upstream_calls_total', { method: 'ListBackups', code: 'UNAVAILABLE' }), 1)
  t.equal(total(m, 'vbgw_upstream_calls_total', { method: 'ListBackups', code: 'NOT_FOUND' }), 1)
  t.equal(total(m, 'vbgw_upstream_call_duration_seconds_count', { method: 'ListBackups' }), 4)
  t.equal(total(m, 'vbgw_upstream_calls_total'), sim.callCount(), 'one sample per call the simulator saw')
})

t.test('upstream calls in flight', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const inFlight = async () => total(await scrape(app), 'vbgw_upstream_in_flight', { method: 'ListBackups' })
  // Long enough that a loaded CI machine still sees both calls in flight at a scrape.
  sim.faults.latencyMs = 2000
  const pending = Promise.all([0, 1].map((i) => app.inject({ url: `/v1/vbase/svc-demo-${i === 0 ? 'catalog' : 'archive'}/backup`, headers: auth })))
  await waitFor(async () => await inFlight() === 2, 10_000, 20)
  t.pass('two in flight')
  t.same((await pending).map((r) => r.statusCode), [200, 200])
  t.equal(await inFlight(), 0, 'back to zero')
})

t.test('cache reads by result and invalidations, per method', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { jobMs: 0 } })
  t.equal((await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: auth })).headers['x-cache'], 'miss')
  t.equal((await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: auth })).headers['x-cache'], 'hit')
  t.equal((await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: { ...auth, 'cache-control': 'no-cache' } })).statusCode, 200, 'no-cache: a bypass')
  // Concurrent identical reads by one principal: one upstream call, the other joins it.
  sim.faults.latencyMs = 100
  const org = () => app.inject({ method: 'POST', url: `/v1/vbase/backup/org/${DEMO_ORG_ID}`, headers: auth, payload: {} })
  t.same((await Promise.all([org(), org()])).map((r) => r.statusCode), [200, 200])
  sim.faults.latencyMs = 0
  const created = await app.inject({
    method: 'POST',
    url: `/v1/vbase/${SVC}/backup`,
    headers: auth,
    payload: { service_id: SVC, organization_id: DEMO_ORG_ID, db_name: 'analytics', collection_names: ['events'], backup_name: 'metrics-backup-1' }
  })
  t.equal(created.statusCode, 200)
  const m = await scrape(app)
  const reads = (method: string, result: string) => total(m, 'vbgw_cache_reads_total', { method, result })
  t.equal(reads('ListBackups', 'miss'), 1)
  t.equal(reads('ListBackups', 'hit'), 1)
  t.equal(reads('ListBackups', 'bypass'), 1)
  t.equal(reads('ListBackupByOrg', 'miss'), 1)
  t.equal(reads('ListBackupByOrg', 'dedupe'), 1)
  t.equal(sim.callCount('ListBackupByOrg'), 1)
  t.equal(total(m, 'vbgw_cache_invalidations_total', { method: 'CreateBackup' }), 1)
  t.same(app.vbase.cacheStats()?.methods.ListBackups, { hits: 1, misses: 1, dedupes: 0, bypasses: 1, invalidations: 0 }, 'the same counts as the cache keeps')
})

t.test('loader batch sizes', async (t) => {
  const { app } = await buildTestApp(t)
  const query = `{ a: service(id: "svc-demo-catalog") { backups { totalCount } } b: service(id: "${SVC}") { backups { totalCount } } }`
  const res = await gql(app, { query })
  t.equal(res.statusCode, 200)
  t.equal(res.json().errors, undefined)
  const m = await scrape(app)
  t.equal(total(m, 'vbgw_graphql_loader_batch_size_count', { type: 'Service', field: 'backups' }), 1, 'one batch')
  t.equal(total(m, 'vbgw_graphql_loader_batch_size_sum', { type: 'Service', field: 'backups' }), 2, 'of two queries')
  t.equal(total(m, 'vbgw_graphql_loader_batch_size_bucket', { type: 'Service', field: 'backups', le: '1' }), 0)
  t.equal(total(m, 'vbgw_graphql_loader_batch_size_bucket', { type: 'Service', field: 'backups', le: '2' }), 1)
})

t.test('a registry per app: two apps in one process do not mix', async (t) => {
  const one = await buildTestApp(t)
  const two = await buildTestApp(t, { sim: one.sim })
  await one.app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: auth })
  await one.app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: auth })
  await two.app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: auth })
  t.equal(total(await scrape(one.app), 'vbgw_http_requests_total', { route: LIST_ROUTE }), 2)
  t.equal(total(await scrape(two.app), 'vbgw_http_requests_total', { route: LIST_ROUTE }), 1)
})

t.test('METRICS_ENABLED=false: no /metrics and no instrumentation', async (t) => {
  const { app } = await buildTestApp(t, { env: { METRICS_ENABLED: 'false' } })
  t.equal((await app.inject('/metrics')).statusCode, 404)
  t.equal(app.metrics, undefined)
  t.equal((await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: auth })).statusCode, 200, 'the gateway works without it')
})
