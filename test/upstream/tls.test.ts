/**
 * VBASE_TLS against a real TLS endpoint: a TLS terminator (ALPN h2, the
 * certificate in test/fixtures/tls, signed by its test CA) in front of the
 * simulator's plaintext port, so the gateway's calls cross a real handshake.
 * Verified against VBASE_TLS_CA, refused against the system CAs or another
 * CA (a clear 503, the process up, no token in the logs), and let through
 * unverified with VBASE_TLS_INSECURE.
 */
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import path from 'node:path'
import t from 'tap'
import { ROOT_DIR } from '../../src/upstream/contract.js'
import { DEMO_SERVICE_IDS, DEV_TOKEN, startSimulator, type Simulator } from '../../src/simulator/index.js'
import { buildTestApp, type Teardownable } from '../helpers/app.js'

const fixture = (name: string): string => path.join(ROOT_DIR, 'test', 'fixtures', 'tls', name)
const [CATALOG] = DEMO_SERVICE_IDS
const LIST = `/v1/vbase/${CATALOG}/backup`
const AUTH = `Bearer ${DEV_TOKEN}`

/** A TLS listener on loopback that pipes each connection to `port` in plaintext; its port and the handshakes it completed. */
async function terminate (t: Teardownable, port: number): Promise<{ port: number, handshakes: () => number }> {
  let handshakes = 0
  const server = tls.createServer({ key: readFileSync(fixture('server.key')), cert: readFileSync(fixture('server.pem')), ALPNProtocols: ['h2'] }, (socket) => {
    handshakes++
    const plain = net.connect(port, '127.0.0.1')
    socket.pipe(plain).pipe(socket)
    socket.on('error', () => plain.destroy())
    plain.on('error', () => socket.destroy())
  })
  // A refused handshake is the point of some cases here.
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await new Promise((resolve) => server.close(resolve)) })
  return { port: (server.address() as net.AddressInfo).port, handshakes: () => handshakes }
}

async function gatewayOver (t: Teardownable, sim: Simulator, port: number, env: Record<string, string>): ReturnType<typeof buildTestApp> {
  // UPSTREAM_READ_ATTEMPTS=1: a refused handshake fails at once, not after retries.
  return await buildTestApp(t, { sim, upstream: `localhost:${port}`, env: { VBASE_TLS: 'true', VBASE_UPSTREAM: `localhost:${port}`, UPSTREAM_READ_ATTEMPTS: '1', ...env } })
}

t.test('VBASE_TLS to an upstream behind TLS', async (t) => {
  const sim = await startSimulator({ port: 0 })
  t.teardown(() => sim.close())
  const front = await terminate(t, sim.port)

  t.test('verified against VBASE_TLS_CA: the call goes through, with the caller\'s token', async (t) => {
    sim.resetCalls()
    const { app } = await gatewayOver(t, sim, front.port, { VBASE_TLS_CA: fixture('ca.pem') })
    const res = await app.inject({ url: LIST, headers: { authorization: AUTH } })
    t.equal(res.statusCode, 200, res.body)
    t.match(res.json(), { backups: [{ service_id: CATALOG, name: String }] }, 'the seeded list')
    t.equal(sim.callCount('ListBackups'), 1)
    t.equal(sim.calls[0]?.metadata.authorization, AUTH, 'the bearer token crossed the TLS hop')
    t.equal((await app.inject({ url: '/readyz' })).statusCode, 200, 'ready over TLS')
    t.ok(front.handshakes() >= 1)
  })

  for (const [what, env] of [
    ['the system CAs (no VBASE_TLS_CA)', {}],
    ['another CA', { VBASE_TLS_CA: fixture('other-ca.pem') }]
  ] as const) {
    t.test(`verified against ${what}: refused, a clear 503, and the gateway stays up`, async (t) => {
      sim.resetCalls()
      const { app, logs } = await gatewayOver(t, sim, front.port, env)
      const res = await app.inject({ url: LIST, headers: { authorization: AUTH } })
      t.equal(res.statusCode, 503, res.body)
      t.match(res.json(), { code: 14, message: /unavailable/i })
      t.equal(sim.callCount(), 0, 'nothing reached VBase')
      t.equal((await app.inject({ url: '/readyz' })).statusCode, 503, 'not ready')
      t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'alive')
      t.ok(logs.some((l) => l.includes('"level":50') && l.includes('unable to verify the first certificate')), 'the error line says why')
      t.notOk(logs.some((l) => l.includes(DEV_TOKEN)), 'no token in the logs')
    })
  }

  t.test('VBASE_TLS_INSECURE: the certificate is not verified, and the call goes through', async (t) => {
    sim.resetCalls()
    const { app } = await gatewayOver(t, sim, front.port, { VBASE_TLS_INSECURE: 'true' })
    const res = await app.inject({ url: LIST, headers: { authorization: AUTH } })
    t.equal(res.statusCode, 200, res.body)
    t.equal(sim.callCount('ListBackups'), 1)
  })

  t.test('the plaintext client against the TLS port: refused, not hung', async (t) => {
    sim.resetCalls()
    const { app } = await buildTestApp(t, { sim, upstream: `localhost:${front.port}`, env: { VBASE_UPSTREAM: `localhost:${front.port}`, UPSTREAM_READ_ATTEMPTS: '1', UPSTREAM_TIMEOUT_MS: '2000' } })
    const res = await app.inject({ url: LIST, headers: { authorization: AUTH } })
    t.ok([503, 504].includes(res.statusCode), `${res.statusCode} ${res.body}`)
    t.equal(sim.callCount(), 0)
  })
})
