/**
 * A REST caller that goes away before its answer: with `Cache-Control:
 * no-cache` its upstream call is its own and is cancelled (it ends
 * CANCELLED at the gateway); a cached read's upstream call is shared with
 * whoever else waits for it, so it runs on and its answer is cached for
 * the next caller. Either way the gateway keeps serving.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp, waitFor } from '../helpers/app.js'
import { scrape, total } from '../helpers/metrics.js'

const LIST = '/v1/vbase/svc-demo-catalog/backup'
const auth = { authorization: `Bearer ${DEV_TOKEN}` }

async function listening (app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
}

const calls = async (app: FastifyInstance, code: string): Promise<number> =>
  total(await scrape(app), 'vbgw_upstream_calls_total', { method: 'ListBackups', code })

t.test('no-cache: the client gone mid-call cancels the upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const base = await listening(app)
  sim.faults.latencyMs = 30_000
  const controller = new AbortController()
  const answered = fetch(`${base}${LIST}`, { headers: { ...auth, 'cache-control': 'no-cache' }, signal: controller.signal })
    .then(() => 'answered', (err: Error) => err.name)
  await waitFor(() => sim.callCount('ListBackups') === 1)
  controller.abort()
  t.equal(await answered, 'AbortError')
  await waitFor(async () => await calls(app, 'CANCELLED') === 1)
  t.equal(await calls(app, 'CANCELLED'), 1, 'the upstream call ended CANCELLED')
  t.equal(total(await scrape(app), 'vbgw_upstream_in_flight', { method: 'ListBackups' }), 0, 'nothing left in flight')

  sim.faults.latencyMs = 0
  const after = await app.inject({ url: LIST, headers: auth })
  t.equal(after.statusCode, 200, 'the next request is served')
})

t.test('cached read: the client gone mid-call leaves the shared call running, and its answer is cached', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const base = await listening(app)
  sim.faults.latencyMs = 300
  const controller = new AbortController()
  const answered = fetch(`${base}${LIST}`, { headers: auth, signal: controller.signal }).then(() => 'answered', (err: Error) => err.name)
  await waitFor(() => sim.callCount('ListBackups') === 1)
  controller.abort()
  t.equal(await answered, 'AbortError')
  await waitFor(async () => await calls(app, 'OK') === 1)
  t.equal(await calls(app, 'CANCELLED'), 0, 'not cancelled')

  const next = await app.inject({ url: LIST, headers: auth })
  t.equal(next.statusCode, 200)
  t.equal(next.headers['x-cache'], 'hit', 'the next caller gets the answer from the cache')
  t.equal(sim.callCount('ListBackups'), 1, 'without another upstream call')
})
