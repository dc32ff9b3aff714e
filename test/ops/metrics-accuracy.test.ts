/**
 * /metrics on the edges of a request's life: a client that leaves before
 * its answer, a body cut off by REQUEST_TIMEOUT_MS, a write whose outcome
 * is unknown (and its recheck), and latencies below 5 ms. Each was once
 * counted otherwise than the HELP text and the README say.
 */
import t from 'tap'
import { once } from 'node:events'
import net from 'node:net'
import { status } from '@grpc/grpc-js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createMetrics } from '../../src/ops/metrics.js'
import { DEMO_ORG_ID, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp, listenOnLoopback, waitFor } from '../helpers/app.js'
import { find, parseMetrics, scrape, total } from '../helpers/metrics.js'
import { raw } from '../helpers/raw-http.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const SVC = 'svc-demo-analytics'
const LIST = `/v1/vbase/${SVC}/backup`
const LIST_ROUTE = '/v1/vbase/:service_id/backup'

const requests = async (app: FastifyInstance, labels: Record<string, string>): Promise<number> =>
  total(await scrape(app), 'vbgw_http_requests_total', labels)

/** Poll until `check` holds; false (rather than a throw) when it never does, so the assertion after it reports the value. */
async function eventually (check: () => Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  return await waitFor(check, timeoutMs).then(() => true, () => false)
}

t.test('a REST request whose client disconnects is counted once, as 499', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const port = await listenOnLoopback(app)
  sim.faults.latencyMs = 30_000
  const controller = new AbortController()
  const answered = fetch(`http://127.0.0.1:${port}${LIST}`, { headers: { ...auth, 'cache-control': 'no-cache' }, signal: controller.signal })
    .then(() => 'answered', (err: Error) => err.name)
  await waitFor(() => sim.callCount('ListBackups') === 1)
  controller.abort()
  t.equal(await answered, 'AbortError')
  // The upstream call ends CANCELLED once the gateway saw the disconnect; the handler's answer goes nowhere.
  await waitFor(async () => total(await scrape(app), 'vbgw_upstream_calls_total', { code: 'CANCELLED' }) === 1)
  await eventually(async () => await requests(app, { route: LIST_ROUTE }) > 0)
  const m = await scrape(app)
  t.equal(total(m, 'vbgw_http_requests_total', { method: 'GET', route: LIST_ROUTE, status_code: '499' }), 1, 'counted as 499, client closed request')
  t.equal(total(m, 'vbgw_http_requests_total', { route: LIST_ROUTE }), 1, 'once')
  t.equal(total(m, 'vbgw_http_request_duration_seconds_count', { route: LIST_ROUTE, status_code: '499' }), 1, 'with its latency')
})

t.test('a GraphQL request whose client disconnects is counted once, as 499, under its operation', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const port = await listenOnLoopback(app)
  // no-cache: the call is the caller's own, so it is cancelled and the handler ends before the scrape.
  const request = (signal?: AbortSignal): Promise<Response> => fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', 'cache-control': 'no-cache' },
    body: JSON.stringify({ query: `query Gone { service(id: "${SVC}") { backups { totalCount } } }` }),
    ...(signal === undefined ? {} : { signal })
  })
  // Answered once, so `Gone` is a label (a name that VBase never answered counts as `(other)`).
  t.equal((await request()).status, 200)
  sim.faults.latencyMs = 30_000
  const controller = new AbortController()
  const answered = request(controller.signal).then(() => 'answered', (err: Error) => err.name)
  await waitFor(() => sim.callCount('ListBackups') === 2)
  controller.abort()
  t.equal(await answered, 'AbortError')
  await waitFor(async () => total(await scrape(app), 'vbgw_upstream_calls_total', { code: 'CANCELLED' }) === 1)
  await eventually(async () => await requests(app, { route: '/graphql' }) > 1)
  t.equal(await requests(app, { route: '/graphql', operation: 'Gone', status_code: '499' }), 1, 'counted as 499 under its operation')
  t.equal(await requests(app, { route: '/graphql' }), 2, 'once, beside the first request')
})

t.test('a request whose body does not arrive in time is counted as the 408 it was answered', async (t) => {
  const { app } = await buildTestApp(t, { env: { REQUEST_TIMEOUT_MS: '300' } })
  const port = await listenOnLoopback(app)
  const res = await raw(port, [`POST ${LIST} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${DEV_TOKEN}`,
    'Content-Type: application/json', 'Content-Length: 100', '', '{"organization_id":'].join('\r\n'))
  t.equal(res.status, 408)
  await eventually(async () => await requests(app, { route: LIST_ROUTE }) > 0)
  t.equal(await requests(app, { method: 'POST', route: LIST_ROUTE, status_code: '408' }), 1, 'counted as 408')
  t.equal(await requests(app, { route: LIST_ROUTE }), 1, 'once')
})

t.test('a client that leaves while sending its body is counted as 499, not answered or logged as a malformed request', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const port = await listenOnLoopback(app)
  const client = net.connect(port, '127.0.0.1')
  client.on('error', () => {})
  let answer = ''
  client.on('data', (chunk: Buffer) => { answer += String(chunk) })
  await once(client, 'connect')
  // 19 of 100 bytes, then the end of the stream: Node's parser reports HPE_INVALID_EOF_STATE.
  client.end(`POST ${LIST} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${DEV_TOKEN}\r\n` +
    'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"organization_id":')
  await once(client, 'close')
  await eventually(async () => await requests(app, { route: LIST_ROUTE }) > 0)
  t.equal(await requests(app, { method: 'POST', route: LIST_ROUTE, status_code: '499' }), 1, 'counted as 499')
  t.equal(await requests(app, { route: LIST_ROUTE }), 1, 'once')
  t.equal(answer, '', 'nothing written to a client that left')
  t.notOk(logs.some((l) => l.includes('malformed request refused')), 'not logged as a malformed request')
})

t.test('a write of unknown outcome counts one invalidation, not a second one for its recheck', async (t) => {
  // The recheck runs UPSTREAM_TIMEOUT_MS after the write gave up: long enough for the read below to be cached first.
  const { app, sim } = await buildTestApp(t, { env: { UPSTREAM_TIMEOUT_MS: '1000' }, simulator: { jobMs: 0 } })
  sim.faults.latencyMs = 3000
  const created = await app.inject({
    method: 'POST',
    url: LIST,
    headers: auth,
    payload: { service_id: SVC, organization_id: DEMO_ORG_ID, db_name: 'analytics', collection_names: ['events'], backup_name: 'review-unknown-1' }
  })
  t.equal(created.statusCode, 504, 'the write timed out: its outcome is unknown')
  sim.faults.latencyMs = 0
  // A list cached after the write gave up; the recheck invalidates it again, so a later read misses.
  t.equal((await app.inject({ url: LIST, headers: auth })).headers['x-cache'], 'miss')
  const rechecked = await eventually(async () => (await app.inject({ url: LIST, headers: auth })).headers['x-cache'] === 'miss', 5000)
  t.ok(rechecked, 'the recheck ran')
  const m = await scrape(app)
  t.equal(total(m, 'vbgw_cache_invalidations_total', { method: 'CreateBackup' }), 1, 'one write, one invalidation')
  t.equal(app.vbase.cacheStats()?.methods.CreateBackup?.invalidations, 1, 'the cache keeps the same count')
  t.equal(total(m, 'vbgw_upstream_calls_total', { method: 'CreateBackup', code: status[status.DEADLINE_EXCEEDED] as string }), 1)
})

t.test('latency histograms resolve sub-millisecond answers (cache hits, loopback calls)', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false })
  // A cached read answers in about 0.8 ms at p50 (README, benchmark): no bucket boundary below 5 ms put every hit in one bucket.
  const request = { method: 'GET', routeOptions: { url: '/v1/vbase/:service_id/backup' } } as unknown as FastifyRequest
  const reply = { statusCode: 200, elapsedTime: 0.8 } as unknown as FastifyReply
  metrics.observeRequest(request, reply)
  metrics.upstream.onCallStart?.('ListBackups')
  metrics.upstream.onCallEnd?.('ListBackups', 0, 0.0008)
  const m = parseMetrics(await metrics.registry.metrics())
  const smallest = (name: string): number => Math.min(...find(m, name).filter((s) => s.value > 0 && s.labels.le !== '+Inf').map((s) => Number(s.labels.le)))
  t.ok(smallest('vbgw_http_request_duration_seconds_bucket') <= 0.001, `a 0.8 ms request falls in a bucket of at most 1 ms (${smallest('vbgw_http_request_duration_seconds_bucket')})`)
  t.ok(smallest('vbgw_upstream_call_duration_seconds_bucket') <= 0.001, `a 0.8 ms upstream call too (${smallest('vbgw_upstream_call_duration_seconds_bucket')})`)
})
