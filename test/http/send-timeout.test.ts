/**
 * Time to take an answer (sendTimeout, src/http/limits.ts): a client that
 * asks and stops reading is disconnected about REQUEST_TIMEOUT_MS after it
 * last took anything (at most twice that), and the answer it pinned is
 * freed; a client reading slowly but steadily gets the whole answer, and
 * the wait for the upstream before an answer is never timed, pipelined
 * behind another answer either (an idle keep-alive connection and a slow
 * upstream alone: test/http/request-timeout.test.ts).
 */
import { once } from 'node:events'
import net from 'node:net'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { DEMO_SERVICE_IDS, DEV_TOKEN, startSimulator, type Simulator } from '../../src/simulator/index.js'
import { listenOnLoopback, waitFor, type Teardownable } from '../helpers/app.js'

/**
 * REQUEST_TIMEOUT_MS. Every wait below is a multiple of it, and the test is about how the
 * timeout counts, not its length: half a second keeps a slow reader's pauses (a fifth of it)
 * five times shorter than the timeout, as at any length. Waits for an outcome that must come
 * have their own deadline, not tied to it.
 */
const TIMEOUT_MS = 500
/** Longest wait for a disconnection or an answer that must come: only a bound against a hang. */
const DEADLINE_MS = 10_000
/** Far more than loopback's socket buffers hold, so a client that does not read stalls the answer. */
const BIG = 'x'.repeat(48 << 20)
const GET_BIG = 'GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'

/**
 * The gateway as buildApp makes it, plus `GET /big`: a 48 MiB answer sent
 * as one string, as GraphQL and REST answers are. Added before ready(),
 * which buildTestApp calls.
 */
async function gatewayWithBigAnswer (t: Teardownable): Promise<{ app: FastifyInstance, sim: Simulator, port: number, logs: string[] }> {
  const sim = await startSimulator({ port: 0 })
  t.teardown(() => sim.close())
  const config = loadConfig({ LOG_LEVEL: 'info', REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), RATE_LIMIT_MAX: '0', RATE_LIMIT_IP_MAX: '0' })
  const logs: string[] = []
  const sink = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const app = await buildApp({ config, upstream: sim.address, logger: createLogger(config, sink) })
  t.teardown(() => app.close())
  app.get('/big', async (_request, reply) => reply.type('application/json').send(BIG))
  const port = await listenOnLoopback(app)
  return { app, sim, port, logs }
}

/** The gateway's side of the next connection it accepts. */
function nextServerSocket (app: FastifyInstance): Promise<net.Socket> {
  return new Promise((resolve) => app.server.once('connection', resolve))
}

t.test('a client that stops reading is disconnected and its answer freed', async (t) => {
  const { app, port, logs } = await gatewayWithBigAnswer(t)
  const accepted = nextServerSocket(app)
  const client = net.connect(port, '127.0.0.1')
  t.teardown(() => client.destroy())
  client.on('error', () => {})
  client.pause() // asks, then never reads
  client.write(GET_BIG)
  const server = await accepted
  await waitFor(() => server.writableLength > 0)
  const stalledAt = Date.now()
  // Without a send timeout the answer stays buffered and the connection open for as long as the client likes.
  await waitFor(() => server.destroyed, DEADLINE_MS)
  const ms = Date.now() - stalledAt
  t.ok(ms >= TIMEOUT_MS / 2, `not at once (${ms} ms)`)
  t.comment(`stalled reader dropped ${ms} ms after the answer started`)
  await waitFor(async () => await new Promise<number>((resolve) => app.server.getConnections((_err, n) => resolve(n))) === 0)
  const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'answer not taken in time: connection dropped')
  t.match(lines, [{ level: 30, reqId: String, timeoutMs: TIMEOUT_MS }], 'logged once, with the request id')
  t.equal(lines.length, 1)

  // What the kernel had taken still arrives, then the end: the answer was cut, not sent whole.
  let received = 0
  client.on('data', (chunk: Buffer) => { received += chunk.length })
  client.resume()
  await once(client, 'close')
  t.ok(received < BIG.length, `the client got ${received} of ${BIG.length} bytes`)

  t.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, 'the gateway goes on serving')
})

t.test('a client that reads slowly but steadily gets the whole answer, however long it takes', async (t) => {
  const { port } = await gatewayWithBigAnswer(t)
  const client = net.connect(port, '127.0.0.1')
  t.teardown(() => client.destroy())
  const started = Date.now()
  client.write(GET_BIG.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'))
  // A slow client: 2 MiB, then nothing for a fifth of the timeout, again and again (24 pauses).
  let received = 0
  let nextPause = 2 << 20
  client.on('data', (chunk: Buffer) => {
    received += chunk.length
    if (received < nextPause) return
    nextPause += 2 << 20
    client.pause()
    setTimeout(() => client.resume(), TIMEOUT_MS / 5)
  })
  await once(client, 'end')
  const ms = Date.now() - started
  t.ok(received > BIG.length, `the whole answer arrived (${received} bytes with the head)`)
  t.ok(ms > TIMEOUT_MS * 2, `in ${ms} ms, longer than the timeout allows a stalled reader: the timeout counts no progress, not the answer's time`)
})

t.test('the wait for the upstream of a request pipelined behind an answer is not timed', async (t) => {
  const { sim, port } = await gatewayWithBigAnswer(t)
  sim.faults.latencyMs = TIMEOUT_MS * 3
  const client = net.connect(port, '127.0.0.1')
  t.teardown(() => client.destroy())
  // The heads are counted as the bytes come (the last 8 of a chunk kept for a head split across
  // two), not by searching all 48 MiB received at every poll.
  const chunks: string[] = []
  let heads = 0
  let tail = ''
  client.on('data', (chunk: Buffer) => {
    const text = chunk.toString('latin1')
    chunks.push(text)
    const seen = tail + text
    heads += (seen.match(/HTTP\/1\.1 /g) ?? []).length
    tail = seen.slice(-8)
  })
  // Both in one write: the second request is read while the first (large: timed) is answered.
  client.write(GET_BIG +
    `GET /v1/vbase/${DEMO_SERVICE_IDS[0]}/backup HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${DEV_TOKEN}\r\nCache-Control: no-cache\r\n\r\n`)
  await waitFor(() => heads === 2 || client.closed, DEADLINE_MS)
  const received = chunks.join('')
  t.same(received.match(/HTTP\/1\.1 \d{3}/g), ['HTTP/1.1 200', 'HTTP/1.1 200'], 'both answered, the slow one after three timeouts')
  t.match(received, /"backups":\[/)
})
