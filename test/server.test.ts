import t from 'tap'
import { buildTestApp, waitFor } from './helpers/app.js'

t.test('/healthz and /readyz follow the upstream', async (t) => {
  const { app, sim } = await buildTestApp(t)
  t.equal((await app.inject('/healthz')).statusCode, 200)
  t.equal((await app.inject('/readyz')).statusCode, 200)
  await sim.stopListening()
  await waitFor(async () => (await app.inject('/readyz')).statusCode === 503)
  t.equal((await app.inject('/healthz')).statusCode, 200, 'liveness does not depend on the upstream')
  await sim.startListening()
  await waitFor(async () => (await app.inject('/readyz')).statusCode === 200)
  t.pass('ready again once the upstream is back')
})

t.test('readiness is false while shutting down', async (t) => {
  const { app } = await buildTestApp(t)
  app.shuttingDown = true
  const res = await app.inject('/readyz')
  t.equal(res.statusCode, 503)
  t.equal(res.json().status, 'shutting-down')
})

t.test('request ids: honored and returned', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } })
  t.equal(res.headers['x-request-id'], 'abc-123')
  const bad = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'x'.repeat(500) } })
  t.not(bad.headers['x-request-id'], 'x'.repeat(500))
  t.match(bad.headers['x-request-id'], /^[0-9a-f-]{36}$/)
})

t.test('unknown routes use the Status body', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject('/nope')
  t.equal(res.statusCode, 404)
  t.same(res.json(), { code: 5, message: 'no route for GET /nope', details: [] })
})
