/**
 * The cap on concurrent upstream calls: at most UPSTREAM_MAX_CONCURRENCY in
 * flight; beyond it a call waits up to UPSTREAM_QUEUE_TIMEOUT_MS for a slot,
 * first come first served, then fails with 503 VBGW_OVERLOADED without
 * reaching the upstream. Calls are held in flight with simulator latency.
 */
import t from 'tap'
import { errors } from '../../src/errors.js'
import { createConcurrencyLimit } from '../../src/upstream/concurrency.js'
import { DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp, waitFor } from '../helpers/app.js'

const BEARER = `Bearer ${DEV_TOKEN}`
/** A distinct read per service, so neither the cache nor its in-flight dedupe joins them. */
const list = (i: number): string => `/v1/vbase/svc-cap-${i}/backup`

/** A promise and its resolver. */
function deferred<T = void> (): { promise: Promise<T>, resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => { resolve = r })
  return { promise, resolve }
}

t.test('the gate', async (t) => {
  t.test('runs at most max at once, the rest in arrival order', async (t) => {
    const limit = createConcurrencyLimit({ max: 2, queueTimeoutMs: 60_000 })
    const gates = [deferred(), deferred(), deferred(), deferred()]
    const started: number[] = []
    const runs = gates.map((g, i) => limit.run(async () => { started.push(i); await g.promise; return i }))
    await waitFor(() => started.length === 2)
    t.same(started, [0, 1])
    t.equal(limit.active, 2)
    t.equal(limit.queued, 2)
    gates[1]?.resolve()
    await waitFor(() => started.length === 3)
    t.same(started, [0, 1, 2], 'the first waiter goes first')
    gates[0]?.resolve(); gates[2]?.resolve(); gates[3]?.resolve()
    t.same(await Promise.all(runs), [0, 1, 2, 3])
    t.equal(limit.active, 0)
  })

  t.test('a waiter past the queue timeout fails with VBGW_OVERLOADED, and never runs', async (t) => {
    const limit = createConcurrencyLimit({ max: 1, queueTimeoutMs: 20 })
    const held = deferred()
    const first = limit.run(() => held.promise)
    let ran = false
    await t.rejects(limit.run(async () => { ran = true }), { code: 'VBGW_OVERLOADED', statusCode: 503 })
    t.notOk(ran)
    t.equal(limit.queued, 0, 'it left the queue')
    held.resolve()
    await first
    t.equal(await limit.run(async () => 'free again'), 'free again')
  })

  t.test('queueTimeoutMs 0 refuses at once when full', async (t) => {
    const limit = createConcurrencyLimit({ max: 1, queueTimeoutMs: 0 })
    const held = deferred()
    const first = limit.run(() => held.promise)
    await t.rejects(limit.run(async () => 1), errors.Overloaded)
    held.resolve()
    await first
  })

  t.test('an aborted waiter leaves the queue', async (t) => {
    const limit = createConcurrencyLimit({ max: 1, queueTimeoutMs: 60_000 })
    const held = deferred()
    const first = limit.run(() => held.promise)
    const controller = new AbortController()
    const waiting = limit.run(async () => 'never', controller.signal)
    t.equal(limit.queued, 1)
    controller.abort()
    await t.rejects(waiting, { grpcCode: 1, message: 'the request was cancelled' })
    t.equal(limit.queued, 0)
    held.resolve()
    await first
  })

  t.test('a failing call frees its slot', async (t) => {
    const limit = createConcurrencyLimit({ max: 1, queueTimeoutMs: 0 })
    await t.rejects(limit.run(async () => { throw new Error('boom') }), /boom/)
    await t.rejects(limit.run(() => { throw new Error('sync boom') }), /sync boom/)
    t.equal(limit.active, 0)
  })

  t.test('bad options stop the boot', async (t) => {
    t.throws(() => createConcurrencyLimit({ max: 0, queueTimeoutMs: 1 }), { code: 'VBGW_INVALID_CONFIG' })
    t.throws(() => createConcurrencyLimit({ max: 1, queueTimeoutMs: -1 }), { code: 'VBGW_INVALID_CONFIG' })
  })
})

t.test('through the gateway', async (t) => {
  t.test('beyond the cap a call waits, then gets a 503 without reaching the upstream', async (t) => {
    const { app, sim } = await buildTestApp(t, { env: { UPSTREAM_MAX_CONCURRENCY: '2', UPSTREAM_QUEUE_TIMEOUT_MS: '50' } })
    sim.faults.latencyMs = 60_000
    const held = [0, 1].map((i) => app.inject({ url: list(i), headers: { authorization: BEARER } }))
    await waitFor(() => sim.callCount() === 2)

    const refused = await app.inject({ url: list(2), headers: { authorization: BEARER } })
    t.equal(refused.statusCode, 503)
    t.equal(refused.headers['retry-after'], '1', 'told when to try again')
    t.same(refused.json(), { code: 14, message: 'the gateway is overloaded, try again shortly', details: [] })
    t.equal(sim.callCount(), 2, 'the upstream never saw the third call')

    const graphql = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: BEARER, 'content-type': 'application/json' }, payload: { query: '{ service(id: "svc-cap-3") { backups { totalCount } } }' } })
    t.same(graphql.json().errors.map((e: { extensions: { code: string } }) => e.extensions.code), ['UPSTREAM_UNAVAILABLE'], 'on GraphQL, the field fails')
    t.equal(sim.callCount(), 2)

    // Dropping the connection ends the held calls (the simulator cancels its delays).
    await sim.stopListening()
    for (const res of await Promise.all(held)) t.equal(res.statusCode, 503)
  })

  t.test('a call queued within the timeout runs once a slot frees', async (t) => {
    const { app, sim } = await buildTestApp(t, { env: { UPSTREAM_MAX_CONCURRENCY: '1', UPSTREAM_QUEUE_TIMEOUT_MS: '10000' } })
    const latency = 200
    sim.faults.latencyMs = latency
    const answers = await Promise.all([0, 1].map((i) => app.inject({ url: list(i), headers: { authorization: BEARER } })))
    t.same(answers.map((r) => r.statusCode), [200, 200])
    const [first, second] = sim.calls
    t.ok(first !== undefined && second !== undefined)
    // One at a time: the second call reached the upstream only after the first's answer.
    t.ok((second?.at ?? 0) - (first?.at ?? 0) >= latency - 2, `second call ${(second?.at ?? 0) - (first?.at ?? 0)} ms after the first`)
  })

  t.test('health checks bypass the cap', async (t) => {
    const { app, sim } = await buildTestApp(t, { env: { UPSTREAM_MAX_CONCURRENCY: '1', UPSTREAM_QUEUE_TIMEOUT_MS: '0' } })
    sim.faults.latencyMs = 60_000
    const held = app.inject({ url: list(0), headers: { authorization: BEARER } })
    await waitFor(() => sim.callCount() === 1)
    t.equal((await app.inject('/readyz')).statusCode, 200)
    await sim.stopListening()
    await held
  })
})
