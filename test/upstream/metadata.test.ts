/**
 * `traceparent` reaches the upstream only when it is one by W3C Trace
 * Context; any other value is dropped and the call goes on (the trace
 * restarts, as the spec tells a receiver). `tracestate` is never forwarded.
 */
import t from 'tap'
import { DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { contextFromHeaders, isTraceparent, MAX_TRACEPARENT_LENGTH } from '../../src/upstream/metadata.js'
import { buildTestApp } from '../helpers/app.js'

const [CATALOG] = DEMO_SERVICE_IDS
const BEARER = `Bearer ${DEV_TOKEN}`
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
/** The spec's own example. */
const VALID = `00-${TRACE}-${PARENT}-01`

const cases: Array<[string, string, boolean]> = [
  ['the spec example', VALID, true],
  ['flags 00 (not sampled)', `00-${TRACE}-${PARENT}-00`, true],
  ['unknown flags bits', `00-${TRACE}-${PARENT}-ff`, true],
  ['a later version, 55 characters', `01-${TRACE}-${PARENT}-01`, true],
  ['a later version with fields after a dash', `cc-${TRACE}-${PARENT}-01-what-the-future-holds`, true],
  ['a later version at the length cap', `01-${TRACE}-${PARENT}-01-${'x'.repeat(MAX_TRACEPARENT_LENGTH - 56)}`, true],
  ['a later version past the length cap', `01-${TRACE}-${PARENT}-01-${'x'.repeat(MAX_TRACEPARENT_LENGTH - 55)}`, false],
  ['a later version followed by no dash', `01-${TRACE}-${PARENT}-01x`, false],
  ['version 00 with anything after the flags', `00-${TRACE}-${PARENT}-01-extra`, false],
  ['version ff', `ff-${TRACE}-${PARENT}-01`, false],
  ['upper-case hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`, false],
  ['upper-case version', `0A-${TRACE}-${PARENT}-01`, false],
  ['an all-zero trace-id', `00-${'0'.repeat(32)}-${PARENT}-01`, false],
  ['an all-zero parent-id', `00-${TRACE}-${'0'.repeat(16)}-01`, false],
  ['a short trace-id', `00-${TRACE.slice(1)}-${PARENT}-01`, false],
  ['a long parent-id', `00-${TRACE}-${PARENT}0-01`, false],
  ['one-digit flags', `00-${TRACE}-${PARENT}-1`, false],
  ['not hex', `00-${TRACE.replace('4', 'g')}-${PARENT}-01`, false],
  ['underscores for dashes', VALID.replace(/-/g, '_'), false],
  ['surrounding spaces', ` ${VALID} `, false],
  ['two headers joined by Node', `${VALID}, 00-${TRACE}-${PARENT}-00`, false],
  ['a later version joined with another', `01-${TRACE}-${PARENT}-01, 01-${TRACE}-${PARENT}-01`, false],
  ['junk', 'tp', false],
  ['a non-ASCII byte after a later version', `01-${TRACE}-${PARENT}-01-\u00e9`, false],
  ['a megabyte', `01-${TRACE}-${PARENT}-01-${'a'.repeat(1 << 20)}`, false]
]

for (const [what, value, valid] of cases) {
  t.test(`traceparent, ${what}: ${valid ? 'forwarded' : 'dropped'}`, async (t) => {
    t.equal(isTraceparent(value), valid)
    const { headers } = contextFromHeaders({ authorization: BEARER, 'x-request-id': 'req-1', traceparent: value })
    t.same(headers, valid ? { authorization: BEARER, 'x-request-id': 'req-1', traceparent: value } : { authorization: BEARER, 'x-request-id': 'req-1' })
  })
}

t.test('tracestate is not forwarded, with or without a traceparent', async (t) => {
  t.same(contextFromHeaders({ traceparent: VALID, tracestate: 'congo=t61rcWkgMzE' }).headers, { traceparent: VALID })
  t.same(contextFromHeaders({ traceparent: 'junk', tracestate: 'congo=t61rcWkgMzE' }).headers, {})
})

t.test('a repeated traceparent header (an array) is read by its first value', async (t) => {
  t.same(contextFromHeaders({ traceparent: [VALID, 'junk'] }).headers, { traceparent: VALID })
  t.same(contextFromHeaders({ traceparent: ['junk', VALID] }).headers, {})
})

t.test('end to end: the upstream receives a valid traceparent, never an invalid one, and the call goes on', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const graphql = { query: `{ service(id: "${CATALOG}") { backups { totalCount } } }` }
  const send = (traceparent: string, surface: 'rest' | 'graphql') => app.inject(surface === 'rest'
    ? { method: 'GET', url: `/v1/vbase/${CATALOG}/backup`, headers: { authorization: BEARER, 'cache-control': 'no-cache', traceparent, tracestate: 'congo=t61rcWkgMzE' } }
    : { method: 'POST', url: '/graphql', headers: { authorization: BEARER, 'cache-control': 'no-cache', traceparent, tracestate: 'congo=t61rcWkgMzE' }, payload: graphql })

  for (const surface of ['rest', 'graphql'] as const) {
    for (const [value, forwarded] of [[VALID, true], [`00-${'0'.repeat(32)}-${PARENT}-01`, false], [`01-${TRACE}-${PARENT}-01-${'x'.repeat(600)}`, false]] as const) {
      sim.resetCalls()
      const res = await send(value, surface)
      t.equal(res.statusCode, 200, `${surface}: the request is answered`)
      t.equal(sim.callCount('ListBackups'), 1, `${surface}: the upstream was called`)
      const md = sim.calls[0]?.metadata ?? {}
      t.equal(md.authorization, BEARER, `${surface}: the credential still goes`)
      t.equal(md.traceparent, forwarded ? value : undefined, `${surface}: ${value.slice(0, 60)} ${forwarded ? 'forwarded' : 'not forwarded'}`)
      t.notOk('tracestate' in md, `${surface}: tracestate never forwarded`)
    }
  }
})
