/**
 * Server faults' error lines: the gateway's own every time, with the
 * stack; the upstream call's at most one per gRPC code per interval (the
 * rest at debug, counted), over REST and GraphQL alike; a deadline the
 * caller set itself is not a fault.
 */
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { errors, safeUpstreamError } from '../../src/errors.js'
import { FaultLog, UPSTREAM_FAULT_LOG_INTERVAL_MS } from '../../src/http/fault-log.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const SVC = DEMO_SERVICE_IDS[0]
const policyBody = { organization_id: DEMO_ORG_ID, schedule_cron: '0 0 * * *', retention_count: 7 }

t.test("the upstream's faults: one error line per code per interval, saying how many were held back; the gateway's own: every one", async (t) => {
  let now = 0
  const faults = new FaultLog(UPSTREAM_FAULT_LOG_INTERVAL_MS, () => now)
  const lines: Array<{ level: string, obj: Record<string, unknown>, msg: string }> = []
  const log = {
    error: (obj: object, msg: string) => { lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }) },
    warn: (obj: object, msg: string) => { lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }) },
    debug: (obj: object, msg: string) => { lines.push({ level: 'debug', obj: obj as Record<string, unknown>, msg }) }
  }
  const levels = (): string[] => lines.map((l) => l.level)
  for (let i = 0; i < 3; i++) faults.write(log, safeUpstreamError(status.UNAVAILABLE), 'UNAVAILABLE', 'request failed')
  t.same(levels(), ['error', 'debug', 'debug'])
  t.notOk('suppressed' in (lines[0]?.obj ?? {}), 'the first line held nothing back')
  faults.write(log, safeUpstreamError(status.INTERNAL), 'INTERNAL', 'request failed')
  t.equal(lines.at(-1)?.level, 'error', 'another code has its own line')
  now += UPSTREAM_FAULT_LOG_INTERVAL_MS
  faults.write(log, safeUpstreamError(status.UNAVAILABLE), 'UNAVAILABLE', 'request failed', { count: 2 })
  t.match(lines.at(-1), { level: 'error', obj: { grpcCode: 'UNAVAILABLE', suppressed: 2, count: 2 } }, 'an interval later: the next line, with the two held back')
  lines.length = 0
  for (let i = 0; i < 3; i++) faults.write(log, new TypeError('a bug'), 'INTERNAL', 'request failed')
  t.same(levels(), ['error', 'error', 'error'], "the gateway's own faults are never held back")

  // Overload refusals: one warn per interval, no stack; the rest at debug.
  lines.length = 0
  for (let i = 0; i < 3; i++) faults.write(log, new errors.Overloaded(), 'UNAVAILABLE', 'request failed')
  t.same(levels(), ['warn', 'debug', 'debug'])
  t.match(lines[0]?.obj, { code: 'VBGW_OVERLOADED', message: /overloaded/ })
  t.notOk('err' in (lines[0]?.obj ?? {}), 'no error object, so no stack')
  now += UPSTREAM_FAULT_LOG_INTERVAL_MS
  faults.write(log, new errors.Overloaded(), 'UNAVAILABLE', 'request failed')
  t.match(lines.at(-1), { level: 'warn', obj: { suppressed: 2 } })
})

t.test('REST: overload refusals (UPSTREAM_QUEUE_TIMEOUT_MS=0 with one slot) write one warn line, not an error with a stack each', async (t) => {
  const { app, sim, logs } = await buildTestApp(t, { env: { UPSTREAM_MAX_CONCURRENCY: '1', UPSTREAM_QUEUE_TIMEOUT_MS: '0' } })
  sim.faults.latencyMs = 300
  const answers = await Promise.all(Array.from({ length: 6 }, () => app.inject({ method: 'GET', url: `/v1/vbase/${SVC}/backup`, headers: { ...auth, 'cache-control': 'no-cache' } })))
  t.equal(answers.filter((a) => a.statusCode === 503).length, 5)
  const failed = logs.filter((l) => l.includes('"msg":"request failed"'))
  t.equal(failed.filter((l) => l.includes('"level":40')).length, 1, 'one warn line')
  t.equal(failed.filter((l) => l.includes('"level":50')).length, 0, 'no error line')
  t.notOk(failed.some((l) => l.includes('"stack"')), 'no stack')
})

t.test('REST and GraphQL: an upstream outage writes one error line, not one per request; each request keeps its access line', async (t) => {
  const { app, sim, logs } = await buildTestApp(t)
  const errorLines = (): string[] => logs.filter((l) => l.includes('"level":50'))
  sim.faults.failNext(5, status.UNAVAILABLE)
  for (let i = 0; i < 5; i++) {
    // A write: reads are retried on UNAVAILABLE.
    const res = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: auth, payload: policyBody })
    t.equal(res.statusCode, 503)
  }
  t.equal(errorLines().length, 1, 'one error line for five failed requests')
  t.match(errorLines()[0], /"msg":"request failed"/)
  t.equal(logs.filter((l) => l.includes('"msg":"request completed"') && l.includes('"statusCode":503')).length, 5, 'every request has its access line')

  sim.faults.failNext(5, status.INTERNAL)
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: auth, payload: { query: `{ service(id: "${SVC}") { backups { totalCount } } }` } })
    t.equal(res.json().errors?.[0]?.extensions?.code, 'INTERNAL_SERVER_ERROR')
  }
  t.equal(errorLines().length, 2, 'GraphQL: one more line, for INTERNAL')
  t.match(errorLines()[1], /"msg":"graphql field failed"/)
})

t.test("a deadline the caller set (Grpc-Timeout) that ran out is logged as the caller's, not as a fault", async (t) => {
  const { app, sim, logs } = await buildTestApp(t)
  sim.faults.failNext(1, status.DEADLINE_EXCEEDED)
  const own = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: { ...auth, 'grpc-timeout': '2S' }, payload: policyBody })
  t.equal(own.statusCode, 504)
  t.same(logs.filter((l) => l.includes('"level":50')), [])
  t.ok(logs.some((l) => l.includes('"msg":"request rejected"') && l.includes('DEADLINE_EXCEEDED')))
  sim.faults.failNext(1, status.DEADLINE_EXCEEDED)
  const theirs = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: auth, payload: policyBody })
  t.equal(theirs.statusCode, 504)
  t.equal(logs.filter((l) => l.includes('"level":50')).length, 1, 'without one, the upstream was too slow: a fault')
})
