/**
 * A slow upstream: a 504 at the deadline (UPSTREAM_TIMEOUT_MS, or a shorter
 * Grpc-Timeout), on both surfaces, long before the upstream would answer.
 * An upstream failing every other call: reads are retried and succeed;
 * writes are never retried, so each runs exactly once at the simulator.
 */
import t from 'tap'
import { status } from '@grpc/grpc-js'
import type { FastifyInstance } from 'fastify'
import { DEMO_ORG_ID, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}`, 'cache-control': 'no-cache' }
const json = { ...auth, 'content-type': 'application/json' }
const LATENCY_MS = 4000
// Wide apart, so a busy machine cannot blur the deadline with the upstream's answer.
const DEADLINE_MS = 500

const gql = (app: FastifyInstance, query: string) => app.inject({ method: 'POST', url: '/graphql', headers: json, payload: { query } })

t.test('slow upstream: 504 at the deadline on REST and GraphQL', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { UPSTREAM_TIMEOUT_MS: String(DEADLINE_MS) } })
  sim.faults.latencyMs = LATENCY_MS

  let started = performance.now()
  const r = await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers: auth })
  const restMs = performance.now() - started
  t.equal(r.statusCode, 504)
  t.same(r.json(), { code: 4, message: 'the backup service did not answer in time', details: [] })
  t.ok(restMs >= DEADLINE_MS - 10 && restMs < LATENCY_MS / 2, `answered at the deadline (${Math.round(restMs)} ms), not when the upstream would have`)

  started = performance.now()
  const shorter = await app.inject({ url: '/v1/vbase/svc-demo-analytics/backup', headers: { ...auth, 'grpc-timeout': '50m' } })
  t.equal(shorter.statusCode, 504)
  t.ok(performance.now() - started < DEADLINE_MS - 10, 'a shorter Grpc-Timeout wins')

  started = performance.now()
  const g = await gql(app, '{ service(id: "svc-demo-catalog") { backups { totalCount } } }')
  t.equal(g.statusCode, 200)
  t.match(g.json(), { data: { service: { backups: null } }, errors: [{ message: 'the backup service did not answer in time', extensions: { code: 'DEADLINE_EXCEEDED', grpcStatus: 'DEADLINE_EXCEEDED' } }] })
  t.ok(performance.now() - started < LATENCY_MS / 2, 'GraphQL too')
  t.equal(sim.callCount('ListBackups'), 3, 'a deadline is not retried')
})

t.test('a write that timed out once sent says it may have been applied, on REST and GraphQL, in words and as a reason', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { UPSTREAM_TIMEOUT_MS: String(DEADLINE_MS) } })
  sim.faults.latencyMs = LATENCY_MS
  const maybe = 'the backup service did not answer in time: the write may have been applied, check before sending it again'
  const r = await app.inject({
    method: 'POST',
    url: '/v1/vbase/svc-demo-archive/backup',
    headers: auth,
    payload: { service_id: 'svc-demo-archive', organization_id: DEMO_ORG_ID, db_name: 'archive', collection_names: ['docs'], backup_name: 'slow-write' }
  })
  t.equal(r.statusCode, 504)
  t.same(r.json(), { code: 4, message: maybe, details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'WRITE_OUTCOME_UNKNOWN', domain: 'vbase-gateway' }] })
  const g = await gql(app, `mutation { createBackupPolicy(input: { serviceId: "svc-demo-archive", organizationId: "${DEMO_ORG_ID}", scheduleCron: "0 3 * * *", retentionCount: 3 }) { policy { id } } }`)
  t.same(g.json().errors?.[0]?.extensions, { code: 'DEADLINE_EXCEEDED', grpcStatus: 'DEADLINE_EXCEEDED', reason: 'WRITE_OUTCOME_UNKNOWN' })
  t.equal(g.json().errors?.[0]?.message, maybe)
  const read = await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers: auth })
  t.same(read.json(), { code: 4, message: 'the backup service did not answer in time', details: [] }, 'a read that timed out has no such reason')
})

t.test('upstream failing every other call: reads retried and served; each write runs exactly once', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { jobMs: 0 }, env: { UPSTREAM_READ_ATTEMPTS: '3' } })
  sim.faults.failEvery(2, status.UNAVAILABLE)

  const READS = 10
  for (let i = 0; i < READS; i++) {
    t.equal((await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers: auth })).statusCode, 200, `REST read ${i}`)
    const g = await gql(app, `{ organization(id: "${DEMO_ORG_ID}") { backups { totalCount } } }`)
    t.equal(g.json().errors, undefined, `GraphQL read ${i}`)
  }
  t.ok(sim.callCount('ListBackups') > READS, `retried: ${sim.callCount('ListBackups')} upstream calls for ${READS} reads`)
  t.ok(sim.callCount('ListBackupByOrg') > READS)

  const statuses: number[] = []
  const WRITES = 6
  for (let i = 0; i < WRITES; i++) {
    const before = sim.callCount('CreateBackup')
    const res = await app.inject({
      method: 'POST',
      url: '/v1/vbase/svc-demo-archive/backup',
      headers: auth,
      payload: { service_id: 'svc-demo-archive', organization_id: DEMO_ORG_ID, db_name: 'archive', collection_names: ['docs'], backup_name: `flaky-${i}` }
    })
    statuses.push(res.statusCode)
    t.equal(sim.callCount('CreateBackup'), before + 1, `REST write ${i} reached the upstream exactly once (${res.statusCode})`)
    if (res.statusCode === 503) {
      t.match(res.json(), { message: /the write may have been applied, check before sending it again$/ }, 'an answered UNAVAILABLE: VBase may have applied it')
      t.equal(res.headers['retry-after'], undefined, 'so no Retry-After inviting it again')
    }
  }
  for (let i = 0; i < WRITES; i++) {
    const before = sim.callCount('CreateBackupPolicy')
    const res = await gql(app, `mutation { createBackupPolicy(input: { serviceId: "svc-demo-archive", organizationId: "${DEMO_ORG_ID}", scheduleCron: "${i} 3 * * *", retentionCount: 3 }) { policy { id } } }`)
    statuses.push(res.json().errors === undefined ? 200 : 503)
    t.equal(sim.callCount('CreateBackupPolicy'), before + 1, `GraphQL write ${i} reached the upstream exactly once`)
  }
  // With a failure every other call, some writes must have met one: the test saw both outcomes.
  t.ok(statuses.includes(503) && statuses.includes(200), `writes failed and succeeded: ${statuses.join(' ')}`)

  sim.clearFaults()
  const list = (await app.inject({ url: '/v1/vbase/svc-demo-archive/backup', headers: auth })).json() as { backups: Array<{ name: string }> }
  const created = list.backups.map((b) => b.name).filter((n) => n.startsWith('flaky-')).sort()
  const ok = statuses.slice(0, WRITES).flatMap((s, i) => s === 200 ? [`flaky-${i}`] : [])
  t.same(created, ok, 'exactly the writes answered 200 exist')
})
