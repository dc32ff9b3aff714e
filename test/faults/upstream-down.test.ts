/**
 * The upstream down at start, and dying mid-run: the gateway starts anyway,
 * says it is not ready, answers 503 with a safe message on both surfaces
 * (no address, no stack, no raw gRPC text), and recovers without a restart
 * once the upstream listens again on the same port.
 */
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { DEMO_ORG_ID, DEV_TOKEN, startSimulator, type Simulator } from '../../src/simulator/index.js'
import { buildTestApp, waitFor } from '../helpers/app.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}`, 'cache-control': 'no-cache' }
const SAFE = 'the backup service is unavailable, try again shortly'
const RECOVERY_MS = 10_000

const rest = (app: FastifyInstance) => app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers: auth })
const gql = (app: FastifyInstance) => app.inject({
  method: 'POST',
  url: '/graphql',
  headers: { ...auth, 'content-type': 'application/json' },
  payload: { query: '{ service(id: "svc-demo-catalog") { backups { totalCount } } }' }
})
const write = (app: FastifyInstance, name: string) => app.inject({
  method: 'POST',
  url: '/v1/vbase/svc-demo-archive/backup',
  headers: auth,
  payload: { service_id: 'svc-demo-archive', organization_id: DEMO_ORG_ID, db_name: 'archive', collection_names: ['docs'], backup_name: name }
})

/** Nothing in an answer may reveal where the upstream is or how the gateway failed. */
function assertSafe (t: Test, body: string, sim: Simulator): void {
  const leaks = [sim.address, String(sim.port), '127.0.0.1', 'ECONNREFUSED', 'No connection established', '    at ', '.ts:', 'Error:']
  t.same(leaks.filter((leak) => body.includes(leak)), [], 'no address, stack or raw gRPC text in the answer')
}

/** The upstream is down: REST 503, GraphQL UPSTREAM_UNAVAILABLE, writes not retried, readiness false. */
async function assertDown (t: Test, app: FastifyInstance, sim: Simulator): Promise<void> {
  // Readiness reuses a health check's answer for READY_CACHE_MS (1 s): it may lag that much.
  await waitFor(async () => (await app.inject('/readyz')).statusCode === 503, RECOVERY_MS, 50)
  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 503)
  t.same(ready.json(), { status: 'upstream-unavailable' })

  const r = await rest(app)
  t.equal(r.statusCode, 503)
  t.same(r.json(), { code: 14, message: SAFE, details: [] })
  t.equal(r.headers['retry-after'], '1', 'when to try again')
  assertSafe(t, r.body, sim)

  const g = await gql(app)
  t.equal(g.statusCode, 200, 'a field error: the GraphQL response stands')
  t.match(g.json(), { data: { service: { backups: null } }, errors: [{ message: SAFE, extensions: { code: 'UPSTREAM_UNAVAILABLE', grpcStatus: 'UNAVAILABLE' } }] })
  assertSafe(t, g.body, sim)

  const w = await write(app, `while-down-${Date.now()}`)
  t.equal(w.statusCode, 503)
  t.same(w.json(), { code: 14, message: SAFE, details: [] }, 'never sent, so not said to be maybe applied')
  t.equal(w.headers['retry-after'], '1', 'and safe to send again')
  assertSafe(t, w.body, sim)
}

/** Poll until both surfaces and readiness answer normally again. */
async function assertRecovers (t: Test, app: FastifyInstance): Promise<void> {
  const started = Date.now()
  await waitFor(async () => (await rest(app)).statusCode === 200, RECOVERY_MS, 50)
  t.pass(`REST recovered in ${Date.now() - started} ms, without a restart`)
  await waitFor(async () => (await app.inject('/readyz')).statusCode === 200, RECOVERY_MS, 50)
  t.pass('ready again')
  const g = await gql(app)
  t.equal(g.json().errors, undefined, 'GraphQL recovered')
  t.match(g.json(), { data: { service: { backups: { totalCount: Number } } } })
  t.equal((await write(app, `after-recovery-${Date.now()}`)).statusCode, 200, 'writes too')
}

t.test('upstream down at start: the gateway starts, is not ready, answers 503, recovers once the upstream is up', async (t) => {
  const sim = await startSimulator({ port: 0, jobMs: 0 })
  t.teardown(() => sim.close())
  await sim.stopListening()
  // The app builds against a port where nothing listens: the channel connects lazily.
  const { app } = await buildTestApp(t, { sim })
  t.equal((await app.inject('/healthz')).statusCode, 200, 'alive')
  await assertDown(t, app, sim)
  t.equal(sim.callCount(), 0, 'nothing reached the upstream')

  await sim.startListening()
  await assertRecovers(t, app)
})

t.test('upstream dying mid-run and coming back: requests recover without a restart', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { jobMs: 0 } })
  t.equal((await rest(app)).statusCode, 200)
  t.equal((await app.inject('/readyz')).statusCode, 200)

  await sim.stopListening()
  await waitFor(async () => (await rest(app)).statusCode === 503, RECOVERY_MS, 20)
  await assertDown(t, app, sim)

  await sim.startListening()
  await assertRecovers(t, app)
})
