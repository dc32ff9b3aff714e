/**
 * VBase's google.rpc details (the grpc-status-details-bin trailer) over real
 * gRPC: a caller-side failure's reach the REST body's `details` after the
 * gateway's own, a RetryInfo becomes Retry-After, REST_JSON_NAMES=json names
 * them in lowerCamelCase; a server-side failure's never leave the gateway.
 */
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { retryAfterOf, MAX_RETRY_AFTER_S } from '../../src/http/errors.js'
import { statusDetailsTrailers, type DetailToSend } from '../../src/simulator/faults.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}`, 'cache-control': 'no-cache' }
const [CATALOG] = DEMO_SERVICE_IDS
const T = 'type.googleapis.com/google.rpc.'
const create = { service_id: CATALOG, organization_id: DEMO_ORG_ID, db_name: 'db', collection_names: ['nope'] }

const badRequest: DetailToSend = { '@type': `${T}BadRequest`, field_violations: [{ field: 'collection_names[0]', description: 'collection "nope" does not exist in db' }] }
const debugInfo: DetailToSend = { '@type': `${T}DebugInfo`, stack_entries: ['at restore (/srv/vbase/restore.go:88)'], detail: 'milvus at 10.0.0.7:19530 refused' }
const retryInfo = (seconds: number, nanos = 0): DetailToSend => ({ '@type': `${T}RetryInfo`, retry_delay: { seconds, nanos } })
const quota: DetailToSend = { '@type': `${T}ErrorInfo`, reason: 'BACKUP_QUOTA', domain: 'vbase.dodil.io', metadata: { max_backups: '100' } }

t.test('REST: a caller-side failure passes on VBase\'s details; a RetryInfo gives Retry-After', async (t) => {
  // One attempt per read, so one injected UNAVAILABLE is the answer.
  const { app, sim } = await buildTestApp(t, { env: { UPSTREAM_READ_ATTEMPTS: '1' } })
  t.afterEach(() => { sim.clearFaults() })

  t.test('INVALID_ARGUMENT with a BadRequest: in details, DebugInfo left out', async (t) => {
    const message = 'collection "nope" does not exist in db'
    sim.faults.failNext(1, status.INVALID_ARGUMENT, message, statusDetailsTrailers(status.INVALID_ARGUMENT, message, [debugInfo, badRequest]))
    const res = await app.inject({ method: 'POST', url: `/v1/vbase/${CATALOG}/backup`, headers: auth, payload: create })
    t.equal(res.statusCode, 400)
    t.same(res.json(), { code: status.INVALID_ARGUMENT, message, details: [{ '@type': `${T}BadRequest`, field_violations: [{ field: 'collection_names[0]', description: message }] }] })
    t.notOk('retry-after' in res.headers, 'no RetryInfo, no Retry-After')
    t.notMatch(res.body, /restore\.go|10\.0\.0\.7/)
  })

  t.test('RESOURCE_EXHAUSTED with a RetryInfo: Retry-After in whole seconds, rounded up', async (t) => {
    const cases: Array<[DetailToSend, string, string]> = [
      [retryInfo(1, 500_000_000), '1.500s', '2'],
      [retryInfo(30), '30s', '30'],
      [retryInfo(0), '0s', '1'],
      [retryInfo(3 * 86_400), '259200s', String(MAX_RETRY_AFTER_S)]
    ]
    for (const [detail, delay, header] of cases) {
      sim.faults.failNext(1, status.RESOURCE_EXHAUSTED, 'too many backups at once', statusDetailsTrailers(status.RESOURCE_EXHAUSTED, 'too many backups at once', [quota, detail]))
      const res = await app.inject({ method: 'GET', url: `/v1/vbase/${CATALOG}/backup`, headers: auth })
      t.equal(res.statusCode, 429, delay)
      t.equal(res.headers['retry-after'], header, `${delay}: Retry-After ${header}`)
      t.same(res.json().details, [
        { '@type': `${T}ErrorInfo`, reason: 'BACKUP_QUOTA', domain: 'vbase.dodil.io', metadata: { max_backups: '100' } },
        { '@type': `${T}RetryInfo`, retry_delay: delay }
      ])
    }
  })

  t.test('a server-side failure shows none of them: 5xx, its words and details replaced', async (t) => {
    const secret = 'milvus at 10.0.0.7:19530 refused'
    for (const [code, httpStatus] of [[status.INTERNAL, 500], [status.UNKNOWN, 500], [status.UNAVAILABLE, 503]] as const) {
      sim.faults.failNext(1, code, secret, statusDetailsTrailers(code, secret, [debugInfo, badRequest, retryInfo(600)]))
      const res = await app.inject({ method: 'GET', url: `/v1/vbase/${CATALOG}/backup`, headers: auth })
      t.equal(res.statusCode, httpStatus, status[code])
      t.same(res.json().details, [], `${status[code]}: no details`)
      t.equal(res.headers['retry-after'], code === status.UNAVAILABLE ? '1' : undefined, `${status[code]}: no Retry-After of VBase's`)
      t.notMatch(res.body, /10\.0\.0\.7|restore\.go|collection_names/)
    }
    // A write that may have been applied: the gateway's own ErrorInfo alone.
    sim.faults.failNext(1, status.INTERNAL, secret, statusDetailsTrailers(status.INTERNAL, secret, [badRequest]))
    const write = await app.inject({ method: 'POST', url: `/v1/vbase/${CATALOG}/backup`, headers: auth, payload: create })
    t.equal(write.statusCode, 500)
    t.same(write.json().details, [{ '@type': `${T}ErrorInfo`, reason: 'WRITE_OUTCOME_UNKNOWN', domain: 'vbase-gateway' }])
  })
})

t.test('REST_JSON_NAMES=json: VBase\'s details in lowerCamelCase, map keys as sent', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { REST_JSON_NAMES: 'json' } })
  const message = 'collection "nope" does not exist in db'
  sim.faults.failNext(1, status.INVALID_ARGUMENT, message, statusDetailsTrailers(status.INVALID_ARGUMENT, message, [badRequest, quota, retryInfo(2)]))
  const res = await app.inject({ method: 'POST', url: `/v1/vbase/${CATALOG}/backup`, headers: auth, payload: create })
  t.equal(res.statusCode, 400)
  t.same(res.json().details, [
    { '@type': `${T}BadRequest`, fieldViolations: [{ field: 'collection_names[0]', description: message }] },
    { '@type': `${T}ErrorInfo`, reason: 'BACKUP_QUOTA', domain: 'vbase.dodil.io', metadata: { max_backups: '100' } },
    { '@type': `${T}RetryInfo`, retryDelay: '2s' }
  ])
  t.equal(res.headers['retry-after'], '2', 'a RetryInfo on any caller-side code')
})

t.test('retryAfterOf: the first RetryInfo, in whole seconds, bounded', async (t) => {
  const of = (delay: unknown): number | undefined => retryAfterOf([{ '@type': `${T}RetryInfo`, retry_delay: delay }])
  const cases: Array<[unknown, number | undefined]> = [
    ['1s', 1], ['1.000s', 1], ['1.001s', 2], ['0.000000001s', 1], ['0s', 1], ['-5s', 1],
    ['86400s', 86_400], ['86401s', 86_400], ['99999999999999999999s', 86_400],
    ['1.5', undefined], ['s', undefined], ['1.5m', undefined], [' 1s', undefined], [30, undefined], [undefined, undefined]
  ]
  for (const [delay, seconds] of cases) t.equal(of(delay), seconds, String(delay))
  t.equal(retryAfterOf([{ '@type': `${T}ErrorInfo`, retry_delay: '5s' }, null, 'x']), undefined, 'only a RetryInfo')
  t.equal(retryAfterOf([{ '@type': `${T}RetryInfo`, retry_delay: '7s' }, { '@type': `${T}RetryInfo`, retry_delay: '9s' }]), 7, 'the first')
})
