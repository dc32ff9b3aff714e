/**
 * A GraphQL caller that goes away before its answer, as on REST
 * (test/rest/disconnect.test.ts): with `Cache-Control: no-cache` its
 * upstream calls are its own and are cancelled, so they free their
 * UPSTREAM_MAX_CONCURRENCY slots for other callers at once instead of at the
 * deadline; a cached read's upstream call is shared, and another caller
 * waiting for it still gets its answer.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { buildTestApp, listenOnLoopback, waitFor } from '../helpers/app.js'
import { scrape, total } from '../helpers/metrics.js'
import { headersOf } from './helpers.js'

const [CATALOG, ANALYTICS, ARCHIVE] = DEMO_SERVICE_IDS

const listQuery = (service: string): string => `{ service(id: "${service}") { backups { totalCount } } }`

/** POST `query` over a real socket; resolves to the HTTP status, or to the error's name when aborted. */
function post (base: string, query: string, opts: { signal?: AbortSignal, cached?: boolean } = {}): Promise<number | string> {
  const headers = headersOf(opts.cached === true ? { 'cache-control': null } : {})
  return fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }), signal: opts.signal })
    .then(async (res) => { await res.arrayBuffer(); return res.status }, (err: Error) => err.name)
}

const calls = async (app: FastifyInstance, code: string): Promise<number> =>
  total(await scrape(app), 'vbgw_upstream_calls_total', { method: 'ListBackups', code })
const inFlight = async (app: FastifyInstance): Promise<number> => total(await scrape(app), 'vbgw_upstream_in_flight')

t.test('no-cache: the client gone mid-call cancels its upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const base = `http://127.0.0.1:${await listenOnLoopback(app)}`
  sim.faults.latencyMs = 30_000
  const controller = new AbortController()
  const answered = post(base, listQuery(CATALOG), { signal: controller.signal })
  await waitFor(() => sim.callCount('ListBackups') === 1)
  controller.abort()
  t.equal(await answered, 'AbortError')
  await waitFor(async () => await calls(app, 'CANCELLED') === 1)
  t.equal(await calls(app, 'CANCELLED'), 1, 'the upstream call ended CANCELLED')
  t.equal(await inFlight(app), 0, 'nothing left in flight')
})

t.test('callers gone mid-call free their upstream slots for the next caller', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { UPSTREAM_MAX_CONCURRENCY: '2', UPSTREAM_TIMEOUT_MS: '30000', UPSTREAM_QUEUE_TIMEOUT_MS: '100' } })
  const base = `http://127.0.0.1:${await listenOnLoopback(app)}`
  sim.faults.latencyMs = 30_000
  const controllers = [new AbortController(), new AbortController()]
  const answered = [CATALOG, ARCHIVE].map((service, i) => post(base, listQuery(service), { signal: controllers[i]?.signal }))
  await waitFor(() => sim.callCount('ListBackups') === 2)
  for (const controller of controllers) controller.abort()
  t.same(await Promise.all(answered), ['AbortError', 'AbortError'])
  await waitFor(async () => await inFlight(app) === 0)

  sim.faults.latencyMs = 0
  t.equal(await post(base, listQuery(ANALYTICS)), 200, 'a slot is free: no 503')
  t.equal(await calls(app, 'CANCELLED'), 2, 'both calls of the callers gone were cancelled')
})

t.test('a shared read is not cancelled by one of its callers going away', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const base = `http://127.0.0.1:${await listenOnLoopback(app)}`
  sim.faults.latencyMs = 300
  const controller = new AbortController()
  const leaving = post(base, listQuery(CATALOG), { signal: controller.signal, cached: true })
  await waitFor(() => sim.callCount('ListBackups') === 1)
  // Joins the read in flight (the list cache's dedupe) rather than making its own.
  const staying = post(base, listQuery(CATALOG), { cached: true })
  await waitFor(async () => total(await scrape(app), 'vbgw_cache_reads_total', { result: 'dedupe' }) === 1)
  controller.abort()
  t.equal(await leaving, 'AbortError')
  t.equal(await staying, 200, 'the caller still waiting gets its answer')
  t.equal(await calls(app, 'CANCELLED'), 0, 'the shared call was not cancelled')
  t.equal(sim.callCount('ListBackups'), 1, 'one upstream call for both')
})
