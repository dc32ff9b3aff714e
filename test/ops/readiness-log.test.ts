/**
 * Readiness transitions of the upstream check are logged: one warn line with
 * the cause when it turns not ready (the first check failing included), one
 * info line when it is ready again, and never a line per probe, however
 * often /readyz is asked.
 */
import t from 'tap'
import { UPSTREAM_NOT_READY_MESSAGE, UPSTREAM_READY_MESSAGE } from '../../src/ops/health.js'
import { startSimulator } from '../../src/simulator/index.js'
import { READY_CACHE_MS } from '../../src/upstream/vbase.js'
import { buildTestApp, waitFor } from '../helpers/app.js'

type Line = Record<string, unknown> & { level: number, msg?: string }
const WARN = 40
const INFO = 30

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('upstream down: one warn with the cause; back: one info; no line per probe', async (t) => {
  // Debug: not even a debug line per probe.
  const { app, sim, logs } = await buildTestApp(t, { env: { LOG_LEVEL: 'debug' } })
  const readyz = async (): Promise<number> => (await app.inject('/readyz')).statusCode
  t.equal(await readyz(), 200)
  logs.length = 0

  await sim.stopListening()
  await waitFor(async () => await readyz() === 503, 10_000, 100)
  // Several probes over several fresh checks (the answer is reused for READY_CACHE_MS).
  for (let i = 0; i < 3; i++) {
    await sleep(READY_CACHE_MS + 50)
    t.same(await Promise.all([readyz(), readyz(), readyz()]), [503, 503, 503], `still unready, concurrent probes ${i + 1}`)
    t.equal(await readyz(), 503, 'and again, from the reused answer')
  }
  let lines = logs.map((l) => JSON.parse(l) as Line)
  t.equal(lines.length, 1, 'one line for the whole outage so far')
  t.match(lines[0], { level: WARN, msg: UPSTREAM_NOT_READY_MESSAGE, upstream: { code: 'UNAVAILABLE', details: /\S/ } }, 'warn, with the gRPC code and details')
  t.notMatch(logs.join(''), /"stack"|"err"|\bat .*\(.*:\d+:\d+\)/, 'no stack')

  await sim.startListening()
  await waitFor(async () => await readyz() === 200, 10_000, 100)
  for (let i = 0; i < 2; i++) {
    await sleep(READY_CACHE_MS + 50)
    t.equal(await readyz(), 200)
  }
  lines = logs.map((l) => JSON.parse(l) as Line)
  t.equal(lines.length, 2, 'one more line when ready again, none per probe')
  t.match(lines[1], { level: INFO, msg: UPSTREAM_READY_MESSAGE })
})

t.test('the first check failing is logged: a pod that never becomes ready says why (TLS against a plaintext upstream)', async (t) => {
  const sim = await startSimulator({ port: 0 })
  t.teardown(() => sim.close())
  const { app, logs } = await buildTestApp(t, { sim, env: { VBASE_UPSTREAM: sim.address, VBASE_TLS: 'true' } })
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(READY_CACHE_MS + 50)
    t.equal((await app.inject('/readyz')).statusCode, 503)
  }
  const lines = logs.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === UPSTREAM_NOT_READY_MESSAGE || l.msg === UPSTREAM_READY_MESSAGE)
  t.equal(lines.length, 1, 'once, not per probe')
  t.match(lines[0], { level: WARN, upstream: { code: 'UNAVAILABLE', details: /\S/ } })
})
