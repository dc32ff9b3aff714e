/**
 * Graceful shutdown. In process: closing the app turns readiness false
 * first, lets a request in flight finish on its keep-alive connection
 * (answered with `Connection: close`, so the drain does not wait for the
 * idle timeout), then closes the gRPC channel and Redis. As a user runs it:
 * `src/server.ts` in a child process against a slow simulator, SIGTERM with
 * requests in flight: readiness 503 during SHUTDOWN_DELAY_MS, then new
 * connections refused, the requests in flight answered 200, exit code 0;
 * and a request outliving SHUTDOWN_GRACE_MS ends the wait with exit code 1.
 * Connections with no request in progress (one that has sent nothing, one
 * that has sent part of a head, an idle keep-alive one) are closed at once
 * and hold neither `app.close()` nor the exit (0, long before the grace).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { DEMO_ORG_ID, DEV_TOKEN, startSimulator } from '../../src/simulator/index.js'
import { buildTestApp, waitFor, type Teardownable } from '../helpers/app.js'
import { nodeCommand, runModule } from '../helpers/node-child.js'
import { redisGate, TEST_REDIS } from '../helpers/redis.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}` }

/** Try a TCP connection: true when accepted, false when refused. */
function accepts (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

/** A TCP proxy to the test Redis that counts its open client connections. */
async function countingProxy (t: Teardownable): Promise<{ url: string, open: () => number }> {
  const target = new URL(TEST_REDIS)
  const clients = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname)
    clients.add(client)
    client.pipe(upstream).pipe(client)
    const end = (): void => { clients.delete(client); client.destroy(); upstream.destroy() }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => { for (const c of clients) c.destroy(); server.close(() => resolve()) }))
  return { url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}/5`, open: () => clients.size }
}

const gate = await redisGate(t)

t.test('app.close(): readiness first, the request in flight finishes, then the channel and Redis close', gate, async (t) => {
  const redis = await countingProxy(t)
  const { app, sim } = await buildTestApp(t, { env: { CACHE_REDIS_URL: redis.url, CACHE_REDIS_PREFIX: `vbgw-test-shutdown-${process.pid}:` } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`
  t.equal((await fetch(`${base}/readyz`)).status, 200)
  t.ok(redis.open() > 0, 'Redis connected')

  sim.faults.latencyMs = 400
  // fetch keeps the connection alive: without `Connection: close` the drain would wait 72 s for it.
  let answered = false
  const inFlight = fetch(`${base}/v1/vbase/svc-demo-catalog/backup`, { headers: auth }).then((r) => { answered = true; return r })
  await waitFor(() => sim.callCount('ListBackups') === 1)
  const closed = app.close()
  // /readyz cannot be asked once close() began (inject refuses, the listener
  // takes no new connection): the flag it answers 503 on is checked here, and
  // the answer itself in test/server.test.ts and the SIGTERM test below.
  await waitFor(() => app.shuttingDown)
  t.equal(answered, false, 'shuttingDown (readiness 503) was set while the request was in flight')
  const res = await inFlight
  t.equal(res.status, 200, 'the request in flight finished')
  t.equal(res.headers.get('connection'), 'close')
  t.match(await res.json(), { backups: Array })
  let timer: NodeJS.Timeout | undefined
  const drained = await Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), 5000) })])
  clearTimeout(timer)
  t.ok(drained, 'the drain ended with the request, not at the keep-alive timeout')
  t.equal(await accepts((app.server.address() as net.AddressInfo | null)?.port ?? 1), false, 'the listener is closed')

  await waitFor(() => redis.open() === 0)
  t.pass('the Redis connection is closed')
  sim.faults.latencyMs = 0
  const err = await app.vbase.call('ListBackups', { service_id: 'svc-demo-catalog' }, { headers: auth }).then(() => undefined, (e: unknown) => e as { grpcCode?: number })
  t.equal(err?.grpcCode, status.UNAVAILABLE, 'the gRPC channel is closed')
})

/** `src/server.ts` in a child process, as a user runs it, against `upstream`. */
async function startServer (t: Teardownable, upstream: string, extraEnv: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info', VBASE_UPSTREAM: upstream, ...extraEnv }
  for (const name of ['SIM_TOKENS', 'CACHE_REDIS_URL', 'HOST']) delete env[name]
  const child = spawn(...nodeCommand(runModule('src/server.ts')), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>
  const lines: string[] = []
  const output = { stderr: '' }
  child.stderr.on('data', (chunk: Buffer) => { output.stderr += String(chunk) })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line in: ${lines.join('\n')}\n${output.stderr}`)), 30_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(line)
      if (match?.[1] !== undefined) { clearTimeout(timer); resolve(Number(match[1])) }
    })
  })
  return { child, port, base: `http://127.0.0.1:${port}`, lines, exited, output }
}

/** A client connection that reads whatever comes, and says when the gateway closed it. */
async function client (t: Teardownable, port: number, send: string): Promise<{ received: () => string, closed: () => boolean }> {
  const socket = net.connect(port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  let received = ''
  let closed = false
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('utf8') })
  socket.on('error', () => {})
  socket.on('close', () => { closed = true })
  await once(socket, 'connect')
  if (send !== '') socket.write(send)
  return { received: () => received, closed: () => closed }
}

const PARTIAL_HEAD = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'

// One process for both (each boot costs some 2.5 s of CPU): had the connections that sent no
// whole request held the close, it would have ended at the grace period with exit 1, not 0.
t.test('SIGTERM with requests in flight and connections that sent no whole request: readiness 503, new connections refused, requests answered, exit 0', async (t) => {
  const sim = await startSimulator({ port: 0, jobMs: 0 })
  t.teardown(() => sim.close())
  const { child, port, base, lines, exited, output } = await startServer(t, sim.address, { SHUTDOWN_DELAY_MS: '300', SHUTDOWN_GRACE_MS: '10000' })
  const silent = await client(t, port, '') // a browser's preconnect, a load balancer's probe
  const partial = await client(t, port, PARTIAL_HEAD) // a slow client
  // Accepted after the two: once it is answered, the gateway holds the two as well.
  t.equal((await fetch(`${base}/readyz`)).status, 200)

  // Requests in flight on both surfaces, a write among them, held by the simulator's latency.
  sim.faults.latencyMs = 2500
  const json = { ...auth, 'content-type': 'application/json' }
  const started = [
    fetch(`${base}/v1/vbase/svc-demo-catalog/backup`, { headers: auth }),
    fetch(`${base}/graphql`, { method: 'POST', headers: json, body: JSON.stringify({ query: '{ service(id: "svc-demo-analytics") { backups { totalCount } } }' }) }),
    fetch(`${base}/v1/vbase/svc-demo-archive/backup`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ service_id: 'svc-demo-archive', organization_id: DEMO_ORG_ID, db_name: 'archive', collection_names: ['docs'], backup_name: 'during-shutdown' })
    })
  ]
  let answered = 0
  const inFlight = started.map((p) => p.then((r) => { answered++; return r }))
  await waitFor(() => sim.calls.length === 3)
  const signalled = performance.now()
  child.kill('SIGTERM')

  await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 503, 5000, 10)
  t.equal(answered, 0, 'readiness turned false while the requests were in flight')
  await waitFor(async () => !(await accepts(port)), 5000, 10)
  t.equal(answered, 0, 'new connections are refused while the requests are still in flight')
  await waitFor(() => silent.closed() && partial.closed(), 5000, 10)
  t.equal(answered, 0, 'the connections that sent no whole request were closed while the requests were still in flight')
  t.equal(partial.received(), '', 'the partial request gets no answer: the connection just closes')

  const responses = await Promise.all(inFlight)
  t.same(responses.map((r) => r.status), [200, 200, 200], 'the requests in flight completed')
  const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, unknown>>))
  t.match(bodies[1], { data: { service: { backups: { totalCount: 2 } } } })
  t.match(bodies[2], { name: 'during-shutdown' })
  t.equal(sim.callCount('CreateBackup'), 1, 'the write ran once')

  const [code] = await exited
  t.equal(code, 0, `exit code 0, ${Math.round(performance.now() - signalled)} ms after SIGTERM, not 1 at the end of the grace period; stderr: ${output.stderr}`)
  t.notOk(lines.some((l) => l.includes('requests still in flight')), 'nothing held the close')
  const parsed = lines.map((l) => JSON.parse(l) as { msg?: string })
  t.ok(parsed.length > 0, 'stdout is not a TTY: every line is JSON')
  const order = ['shutting down', 'closed: exiting'].map((msg) => parsed.findIndex((l) => l.msg === msg))
  t.ok(order[0] !== undefined && order[0] >= 0 && order[0] < (order[1] ?? -1), 'logged the shutdown, then the close')
})

t.test('SIGTERM: a request outliving SHUTDOWN_GRACE_MS does not hold the process; exit 1', async (t) => {
  const sim = await startSimulator({ port: 0 })
  t.teardown(() => sim.close())
  // ASYNC_BIND_FIX=false here (one boot fewer than a test of its own): Node's bind is left alone.
  const { child, base, lines, exited } = await startServer(t, sim.address, { SHUTDOWN_GRACE_MS: '300', ASYNC_BIND_FIX: 'false' })
  t.notOk(lines.some((l) => l.includes('AsyncResource.prototype.bind')), 'ASYNC_BIND_FIX=false: bind not replaced')
  sim.faults.latencyMs = 20_000
  const stuck = fetch(`${base}/v1/vbase/svc-demo-catalog/backup`, { headers: auth }).catch(() => undefined)
  await waitFor(() => sim.calls.length === 1)
  const signalled = performance.now()
  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 1, 'exit code 1: the drain did not finish')
  t.ok(performance.now() - signalled < 10_000, 'at the end of the grace period, not when the request would have ended')
  t.ok(lines.some((l) => l.includes('requests still in flight at the end of the grace period')), 'and says why')
  t.equal((await stuck)?.status, undefined, 'the stuck request got no answer')
})

// src/server.ts's REPEAT_SIGNAL_WINDOW_MS (importing the entry point would boot a server).
const REPEAT_SIGNAL_WINDOW_MS = 1000

// `npm start` stopped by a process-group signal (Ctrl-C, systemd, `timeout`): node gets the
// signal from the kernel, then npm's forwarded copy a few ms later. The copy is sent here once
// the first was handled ("shutting down"), as npm's arrives: two signals sent at once may merge.
t.test('SIGTERM, then its copy forwarded by npm: the same stop, the request in flight answered, exit 0', async (t) => {
  const sim = await startSimulator({ port: 0 })
  t.teardown(() => sim.close())
  const { child, base, lines, exited, output } = await startServer(t, sim.address, { LOG_LEVEL: 'debug', SHUTDOWN_DELAY_MS: '0', SHUTDOWN_GRACE_MS: '10000' })
  sim.faults.latencyMs = 1500
  const inFlight = fetch(`${base}/v1/vbase/svc-demo-catalog/backup`, { headers: auth })
  await waitFor(() => sim.calls.length === 1)
  child.kill('SIGTERM')
  await waitFor(() => lines.some((l) => l.includes('"shutting down"')), 5000, 5)
  child.kill('SIGTERM')
  const res = await inFlight.catch(() => undefined)
  t.equal(res?.status, 200, 'the request in flight completed')
  if (res !== undefined) t.match(await res.json(), { backups: Array })
  const [code] = await exited
  t.equal(code, 0, `exit code 0; stderr: ${output.stderr}`)
  t.notOk(lines.some((l) => l.includes('second SIGTERM')), 'the copy did not force the exit')
  const ignored = lines.map((l) => JSON.parse(l) as { msg?: string }).find((l) => l.msg?.includes('repeated stop signal') === true)
  t.match(ignored, { level: 20, signal: 'SIGTERM' }, 'the copy arrived, and was logged at debug as ignored')
})

t.test('SIGINT, then SIGINT again more than REPEAT_SIGNAL_WINDOW_MS later: a second stop, exit 1 at once', async (t) => {
  const sim = await startSimulator({ port: 0 })
  t.teardown(() => sim.close())
  const { child, base, lines, exited } = await startServer(t, sim.address, { SHUTDOWN_DELAY_MS: '0', SHUTDOWN_GRACE_MS: '20000' })
  sim.faults.latencyMs = 20_000
  const stuck = fetch(`${base}/v1/vbase/svc-demo-catalog/backup`, { headers: auth }).catch(() => undefined)
  await waitFor(() => sim.calls.length === 1)
  child.kill('SIGINT')
  await waitFor(() => lines.some((l) => l.includes('"shutting down"')), 5000, 5)
  await new Promise((resolve) => setTimeout(resolve, REPEAT_SIGNAL_WINDOW_MS + 300))
  t.equal(child.exitCode, null, 'still draining after the first')
  const signalled = performance.now()
  child.kill('SIGINT')
  const [code] = await exited
  t.equal(code, 1, 'exit code 1: forced')
  t.ok(performance.now() - signalled < 5000, 'at once, not at the end of the grace period or of the request')
  t.ok(lines.some((l) => l.includes('second SIGINT, exiting')), 'and says why')
  t.equal((await stuck)?.status, undefined, 'the request got no answer')
})

t.test('app.close() closes the connections with no request in progress at once, and does not wait for them', async (t) => {
  // Node's own 408 would not end them either: server.close() stops its request timeout check.
  const { app, sim } = await buildTestApp(t, { env: { REQUEST_TIMEOUT_MS: '60000' } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as net.AddressInfo).port
  const connections = (): Promise<number> => new Promise((resolve) => app.server.getConnections((_err, n) => resolve(n)))

  const silent = await client(t, port, '') // a browser's preconnect, a load balancer's probe
  const partial = await client(t, port, PARTIAL_HEAD) // a slow client
  const idle = await client(t, port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n') // keep-alive, answered
  await waitFor(() => idle.received().includes('"ok"'))
  sim.faults.latencyMs = 1000
  const busy = await client(t, port, `GET /v1/vbase/svc-demo-catalog/backup HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${DEV_TOKEN}\r\n\r\n`)
  await waitFor(() => sim.callCount('ListBackups') === 1)
  await waitFor(async () => await connections() === 4)

  const closed = app.close()
  await waitFor(() => silent.closed() && partial.closed() && idle.closed())
  t.equal(partial.received(), '', 'the partial request gets no answer: the connection just closes')
  t.equal(busy.closed(), false, 'the connection with a request in progress stays open')
  let timer: NodeJS.Timeout | undefined
  const drained = await Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), 5000) })])
  clearTimeout(timer)
  t.ok(drained, 'app.close() ends with the request in progress')
  await waitFor(() => busy.closed())
  t.match(busy.received(), /^HTTP\/1\.1 200 [^]*connection: close[^]*"backups":\[/i, 'which was answered, then its connection closed')
  sim.faults.latencyMs = 0
  const err = await app.vbase.call('ListBackups', { service_id: 'svc-demo-catalog' }, { headers: auth }).then(() => undefined, (e: unknown) => e as { grpcCode?: number })
  t.equal(err?.grpcCode, status.UNAVAILABLE, 'the onClose hooks ran: the gRPC channel is closed')
})
