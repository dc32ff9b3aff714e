/**
 * REQUEST_TIMEOUT_MS: a client that does not finish sending its request in
 * time gets 408 with a Status body and its connection closed; the gateway
 * goes on serving. Time spent answering (a slow upstream) does not count.
 */
import t from 'tap'
import net from 'node:net'
import { status } from '@grpc/grpc-js'
import { edgeServerOptions } from '../../src/http/limits.js'
import { DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp, listenOnLoopback, waitFor } from '../helpers/app.js'
import { raw } from '../helpers/raw-http.js'

const [CATALOG] = DEMO_SERVICE_IDS
const BEARER = `Bearer ${DEV_TOKEN}`
const TIMEOUT_MS = 300

t.test('the server options follow REQUEST_TIMEOUT_MS', async (t) => {
  const base = { BODY_LIMIT_BYTES: 1024, MAX_HEADER_BYTES: 16384, TRUST_PROXY: 0 }
  const on = edgeServerOptions({ ...base, REQUEST_TIMEOUT_MS: 30_000 })
  t.equal(on.requestTimeout, 30_000)
  t.equal(on.http.connectionsCheckingInterval, 3000, 'checked ten times per timeout')
  t.equal(on.http.headersTimeout, 30_000, "the head timeout within the request's (Node ignores a request timeout under it)")
  t.equal(edgeServerOptions({ ...base, REQUEST_TIMEOUT_MS: 120_000 }).http.headersTimeout, 60_000, "Node's 60 s head timeout kept under a longer request timeout")
  t.equal(edgeServerOptions({ ...base, REQUEST_TIMEOUT_MS: 500 }).http.connectionsCheckingInterval, 100, 'at most every 100 ms')
  const off = edgeServerOptions({ ...base, REQUEST_TIMEOUT_MS: 0 })
  t.equal(off.requestTimeout, 0)
  t.notOk('connectionsCheckingInterval' in off.http || 'headersTimeout' in off.http, "Node's own head timeout and interval when off")
})

t.test('over a real socket', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) } })
  const port = await listenOnLoopback(app)

  t.test('a body that never arrives in full: 408, Status body, connection closed', async (t) => {
    const started = Date.now()
    const res = await raw(port, [`POST /v1/vbase/${CATALOG}/backup HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: ${BEARER}`,
      'Content-Type: application/json', 'Content-Length: 100', '', '{"organization_id":'].join('\r\n'))
    t.equal(res.status, 408)
    t.match(res.headers, /connection: close/i)
    t.same(JSON.parse(res.body), { code: status.DEADLINE_EXCEEDED, message: 'the request was not received in time', details: [] })
    t.ok(Date.now() - started >= TIMEOUT_MS, 'not before the timeout')
    t.equal(sim.calls.length, 0, 'nothing went upstream')
  })

  t.test('a head that never ends: 408 as well', async (t) => {
    const res = await raw(port, `GET /v1/vbase/${CATALOG}/backup HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${BEARER}\r\n`)
    t.equal(res.status, 408)
  })

  t.test('only receiving a request is timed: a slow answer and an idle keep-alive connection are not cut', async (t) => {
    // A keep-alive connection that answers one request, then sits idle...
    const socket = net.connect(port, '127.0.0.1')
    t.teardown(() => socket.destroy())
    let received = ''
    socket.on('data', (c: Buffer) => { received += c.toString('utf8') })
    const health = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
    socket.write(health)
    await waitFor(() => received.includes('\r\n\r\n'))
    t.match(received, /^HTTP\/1\.1 200/)

    // ...while an answer takes three times the timeout on another connection.
    sim.faults.latencyMs = TIMEOUT_MS * 3
    t.teardown(() => { sim.faults.latencyMs = 0 })
    const res = await fetch(`http://127.0.0.1:${port}/v1/vbase/${CATALOG}/backup`, { headers: { authorization: BEARER, 'cache-control': 'no-cache' } })
    t.equal(res.status, 200, 'the slow answer arrives')
    t.ok(Array.isArray(((await res.json()) as { backups?: unknown }).backups))

    received = ''
    socket.write(health)
    await waitFor(() => received.includes('\r\n\r\n'))
    t.match(received, /^HTTP\/1\.1 200/, 'the idle connection still serves')
  })
})
