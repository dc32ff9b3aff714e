import t from 'tap'
import { status } from '@grpc/grpc-js'
import { STATUS_TABLE } from '../../src/errors.js'
import { DEMO_BACKUPS, DEMO_ORG_ID, DEMO_POLICY_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const SVC = DEMO_SERVICE_IDS[0]
const policyBody = { organization_id: DEMO_ORG_ID, schedule_cron: '0 0 * * *', retention_count: 7 }

t.test('every gRPC code the upstream answers maps to its HTTP status and a Status body', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const codes = Object.values(status).filter((c): c is status => typeof c === 'number' && c !== status.OK)
  t.equal(codes.length, 16)
  for (const code of codes) {
    sim.faults.failNext(1, code)
    // A write: reads are retried on UNAVAILABLE, which would hide the fault.
    const res = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: auth, payload: policyBody })
    const name = status[code]
    t.equal(res.statusCode, STATUS_TABLE[code].http, `${name} -> ${STATUS_TABLE[code].http}`)
    t.match(res.json(), { code, message: /./, details: [] }, `${name} body`)
    t.equal(res.headers['www-authenticate'], code === status.UNAUTHENTICATED ? 'Bearer' : undefined, `${name} WWW-Authenticate`)
  }
  t.equal(sim.callCount('CreateBackupPolicy'), 16)
})

t.test("an upstream's 4xx message reaches the caller in its words, with a credential it quotes replaced", async (t) => {
  const { app, sim } = await buildTestApp(t)
  const quoted = 'tok-echo-7d4e215c1e6f0b9a'
  for (const [code, message, shown] of [
    [status.UNAUTHENTICATED, `token expired: Bearer ${quoted}`, 'token expired: Bearer [redacted]'],
    [status.INVALID_ARGUMENT, `bad header "Authorization: Bearer ${quoted}"`, 'bad header "Authorization: Bearer [redacted]"'],
    [status.PERMISSION_DENIED, `token=${quoted} lacks scope backups:write`, 'token=[redacted] lacks scope backups:write'],
    [status.FAILED_PRECONDITION, `metadata authorization=${quoted} is not allowed here`, 'metadata authorization=[redacted] is not allowed here'],
    [status.NOT_FOUND, 'backup nightly-7 not found in service svc-a', 'backup nightly-7 not found in service svc-a']
  ] as const) {
    sim.faults.failNext(1, code, message)
    const rest = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: auth, payload: policyBody })
    t.equal(rest.json().message, shown, `REST ${status[code]}`)
    sim.faults.failNext(1, code, message)
    const gql = await app.inject({ method: 'POST', url: '/graphql', headers: auth, payload: { query: `{ service(id: "${SVC}") { backups { totalCount } } }` } })
    t.equal(gql.json().errors?.[0]?.message, shown, `GraphQL ${status[code]}`)
    t.notOk(rest.body.includes(quoted) || gql.body.includes(quoted), `${status[code]}: the quoted credential is in neither answer`)
  }
})

t.test('an invalid token is the upstream\'s 401, with WWW-Authenticate', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: `/v1/vbase/${SVC}/backup`, headers: { authorization: 'Bearer nope' } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer')
  t.equal(sim.callCount(), 1, 'passed through: the upstream judged it')
})

// Input the gateway judges itself: 400 naming the field, no upstream call.
const invalid: Array<[string, string, string, unknown, string | undefined]> = [
  ['missing organization_id', 'POST', `/v1/vbase/${SVC}/backup`, { db_name: 'd', collection_names: ['c'] }, 'organization_id'],
  ['organization_id not a UUID', 'POST', '/v1/vbase/backup/org/acme', {}, 'organization_id'],
  ['empty collection_names', 'POST', `/v1/vbase/${SVC}/backup/restore`, { organization_id: DEMO_ORG_ID, backup_name: 'b', db_name: 'd', collection_names: [] }, 'collection_names'],
  ['six-field cron', 'POST', `/v1/vbase/${SVC}/backup/policy`, { ...policyBody, schedule_cron: '0 0 0 * * *' }, 'schedule_cron'],
  ['a cron that never fires', 'POST', `/v1/vbase/${SVC}/backup/policy/${DEMO_POLICY_ID}`, { schedule_cron: '0 0 31 4 *', retention_count: 7 }, 'schedule_cron'],
  ['retention 0', 'POST', `/v1/vbase/${SVC}/backup/policy`, { ...policyBody, retention_count: 0 }, 'retention_count'],
  ['policy_id not a UUID', 'DELETE', `/v1/vbase/${SVC}/backup/policy/p1`, undefined, 'policy_id'],
  ['unknown field', 'POST', `/v1/vbase/${SVC}/backup/policy`, { ...policyBody, retention_days: 7 }, 'retention_days'],
  ['wrong type', 'POST', `/v1/vbase/${SVC}/backup/policy`, { ...policyBody, is_active: 'yes' }, 'is_active'],
  ['path and body differ', 'POST', `/v1/vbase/${SVC}/backup/policy`, { ...policyBody, service_id: 'other' }, 'service_id'],
  ['body not an object', 'POST', `/v1/vbase/${SVC}/backup/policy`, [policyBody], undefined]
]
t.test('input the gateway can judge is a 400 before any upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  for (const [what, method, url, body, field] of invalid) {
    const res = await app.inject({ method: method as 'GET', url, headers: auth, ...(body === undefined ? {} : { payload: body as object }) })
    t.equal(res.statusCode, 400, `${what}: ${res.body}`)
    const json = res.json()
    t.match(json, { code: 3, message: /./ }, what)
    if (field !== undefined) t.match(json.details, [{ field_violations: [{ field }] }], `${what} names ${field}`)
  }
  const bad = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: { ...auth, 'content-type': 'application/json' }, payload: '{"retention_count":' })
  t.equal(bad.statusCode, 400, 'malformed JSON')
  t.match(bad.json(), { code: 3, details: [] })
  t.equal(sim.callCount(), 0)
})

t.test('like grpc-gateway, unknown query parameters are ignored and a body:"*" route never reads the query', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const url = `/v1/vbase/${SVC}/backup`
  const fresh = { ...auth, 'cache-control': 'no-cache' }
  const plain = await app.inject({ method: 'GET', url, headers: fresh })
  // A cache buster and a parameter this API does not have.
  const extra = await app.inject({ method: 'GET', url: `${url}?pageSize=5&_=1715000000`, headers: fresh })
  t.equal(extra.statusCode, 200, extra.body)
  t.same(extra.json(), plain.json())

  sim.resetCalls()
  const write = await app.inject({ method: 'POST', url: `${url}/policy?service_id=other&retention_count=seven`, headers: auth, payload: policyBody })
  t.equal(write.statusCode, 200, `the query of a body:"*" route is not read: ${write.body}`)
  t.match(sim.calls.map((c) => c.request), [{ service_id: SVC, retention_count: 7 }])

  // What the query does bind is still judged.
  const conflict = await app.inject({ method: 'GET', url: `${url}?service_id=other`, headers: auth })
  t.equal(conflict.statusCode, 400, 'a query value that differs from the path')
  t.match(conflict.json().details, [{ field_violations: [{ field: 'service_id' }] }])
  const twice = await app.inject({ method: 'DELETE', url: `${url}/b1?backup_name=b1&backup_name=b1`, headers: auth })
  t.equal(twice.statusCode, 400, 'a singular field given twice')
  t.match(twice.json().details, [{ field_violations: [{ field: 'backup_name' }] }])
})

t.test('an empty JSON body on a REST route is an empty message, like grpc-gateway', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const url = `/v1/vbase/backup/org/${DEMO_ORG_ID}`
  const json = { ...auth, 'content-type': 'application/json' }
  for (const payload of [undefined, '', ' \r\n\t']) {
    const res = await app.inject({ method: 'POST', url, headers: json, ...(payload === undefined ? {} : { payload }) })
    t.equal(res.statusCode, 200, `${JSON.stringify(payload)}: ${res.body}`)
    t.equal(res.json().backups.length, DEMO_BACKUPS.length)
  }
  const del = await app.inject({ method: 'DELETE', url: `/v1/vbase/${SVC}/backup/no-such-backup`, headers: json })
  t.equal(del.statusCode, 404, 'a DELETE with an empty JSON body reaches the upstream')
  t.equal(sim.callCount('DeleteBackup'), 1)

  const broken = await app.inject({ method: 'POST', url, headers: json, payload: '{' })
  t.equal(broken.statusCode, 400, 'a body that is there must still be JSON')
  const graphql = await app.inject({ method: 'POST', url: '/graphql', headers: json, payload: '' })
  t.equal(graphql.statusCode, 400, 'outside the REST routes an empty JSON body is still a 400')
})

t.test('authentication comes first: no token and a bad body is 401', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: { 'content-type': 'application/json' }, payload: '{nope' })
  t.equal(res.statusCode, 401)
})

t.test('another scheme than Bearer is the same 401 on both surfaces, before any upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  for (const authorization of ['Basic dXNlcjpwYXNz', DEV_TOKEN, 'Bearer', 'Token abc']) {
    sim.resetCalls()
    const rest = await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: { authorization } })
    t.equal(rest.statusCode, 401, authorization)
    t.equal(rest.headers['www-authenticate'], 'Bearer')
    const gql = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization }, payload: { query: `{ service(id: "${SVC}") { backups { totalCount } } }` } })
    t.equal(rest.json().message, gql.json().errors?.[0]?.message, `${authorization}: the same words`)
    t.equal(sim.callCount(), 0, `${authorization}: no upstream call`)
  }
})

t.test('unknown routes are 404 and wrong methods 405, with the Status body', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const wrong = await app.inject({ method: 'PUT', url: `/v1/vbase/${SVC}/backup`, headers: auth })
  t.equal(wrong.statusCode, 405)
  t.equal(wrong.headers.allow, 'GET, HEAD, POST')
  t.match(wrong.json(), { code: 12, message: /PUT/, details: [] })
  const getOne = await app.inject({ method: 'GET', url: `/v1/vbase/${SVC}/backup/b1` })
  t.equal(getOne.statusCode, 405)
  t.equal(getOne.headers.allow, 'DELETE')
  for (const url of ['/v1/vbase/x/nothing', '/v1', '/nothing/at/all']) {
    const res = await app.inject({ method: 'GET', url: `${url}?q=1`, headers: auth })
    t.equal(res.statusCode, 404, url)
    t.same(res.json(), { code: 5, message: `no route for GET ${url}`, details: [] }, `${url}: same body inside and outside the REST prefix`)
  }
  t.equal(sim.callCount(), 0)
})

t.test('reads carry Cache-Control and an ETag; If-None-Match gets a 304', async (t) => {
  const { app, config } = await buildTestApp(t)
  const url = `/v1/vbase/${SVC}/backup`
  const first = await app.inject({ method: 'GET', url, headers: auth })
  t.equal(first.statusCode, 200)
  const etag = first.headers.etag as string
  t.match(etag, /^"[^"]+"$/)
  const maxAge = Number(/^private, max-age=(\d+)$/.exec(first.headers['cache-control'] as string)?.[1])
  t.ok(maxAge > 0 && maxAge <= config.CACHE_TTL_MS / 1000, `max-age ${maxAge} within the TTL`)
  t.equal(first.headers['x-cache'], 'miss')
  // A browser's cache keys on the URL: without this the next token in the same browser gets this list.
  t.equal(first.headers.vary, 'Authorization', 'the answer varies on the caller')

  const second = await app.inject({ method: 'GET', url, headers: { ...auth, 'if-none-match': etag } })
  t.equal(second.statusCode, 304)
  t.equal(second.body, '')
  t.equal(second.headers.etag, etag)
  t.equal(second.headers['x-cache'], 'hit')
  t.match(second.headers['cache-control'], /^private, max-age=\d+$/)
  t.equal(second.headers.vary, 'Authorization', 'a 304 too: it refreshes the stored answer')

  const weak = await app.inject({ method: 'HEAD', url, headers: { ...auth, 'if-none-match': `"other", W/${etag}` } })
  t.equal(weak.statusCode, 304, 'HEAD, a list and a weak form match too')
  t.equal(weak.headers.vary, 'Authorization')
  const head = await app.inject({ method: 'HEAD', url, headers: auth })
  t.equal(head.statusCode, 200)
  t.equal(head.headers.vary, 'Authorization', 'HEAD 200')
  const stale = await app.inject({ method: 'GET', url, headers: { ...auth, 'if-none-match': '"other"' } })
  t.equal(stale.statusCode, 200)
  t.same(stale.json(), first.json())

  const bypass = await app.inject({ method: 'GET', url, headers: { ...auth, 'cache-control': 'no-cache' } })
  t.equal(bypass.headers['x-cache'], 'miss', 'no-cache reads through')

  const write = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: auth, payload: policyBody })
  t.equal(write.statusCode, 200)
  t.equal(write.headers.etag, undefined, 'writes carry no validator')
  t.equal(write.headers['cache-control'], undefined)
  t.equal(write.headers.vary, undefined)
})

t.test('the read-only POST answers If-None-Match with its body (304 is for GET and HEAD)', async (t) => {
  const { app } = await buildTestApp(t)
  const url = `/v1/vbase/backup/org/${DEMO_ORG_ID}`
  const first = await app.inject({ method: 'POST', url, headers: auth, payload: {} })
  t.match(first.headers, { etag: /^"/, 'cache-control': /^private, max-age=\d+$/, vary: 'Authorization' })
  const again = await app.inject({ method: 'POST', url, headers: { ...auth, 'if-none-match': first.headers.etag as string }, payload: {} })
  t.equal(again.statusCode, 200)
  t.equal(again.headers['x-cache'], 'hit')
})

t.test('a Grpc-Timeout past UPSTREAM_TIMEOUT_MS is cut to it: 99999999H neither fails at once nor overflows a timer', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const overflows: string[] = []
  const onWarning = (warning: Error): void => { if (warning.name === 'TimeoutOverflowWarning') overflows.push(warning.message) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  // A cache miss waits on the pending read under the caller's own deadline; the latency outlasts a 1 ms timer.
  sim.faults.latencyMs = 50
  const res = await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: { ...auth, 'grpc-timeout': '99999999H' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-cache'], 'miss')
  // process.emitWarning emits on the next tick.
  await new Promise((resolve) => setImmediate(resolve))
  t.same(overflows, [], 'no TimeoutOverflowWarning')
})

t.test('Grpc-Timeout shortens the deadline', async (t) => {
  const { app, sim } = await buildTestApp(t)
  sim.faults.latencyMs = 300
  const url = `/v1/vbase/${SVC}/backup/policy`
  const short = await app.inject({ method: 'POST', url, headers: { ...auth, 'grpc-timeout': '50m' }, payload: policyBody })
  t.equal(short.statusCode, 504)
  t.match(short.json(), { code: status.DEADLINE_EXCEEDED })
  const plain = await app.inject({ method: 'POST', url, headers: auth, payload: policyBody })
  t.equal(plain.statusCode, 200, 'the default deadline (5 s) outlasts the latency')
})

t.test('Grpc-Timeout never lengthens the deadline past UPSTREAM_TIMEOUT_MS', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { UPSTREAM_TIMEOUT_MS: '100' } })
  sim.faults.latencyMs = 400
  const res = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: { ...auth, 'grpc-timeout': '1H' }, payload: policyBody })
  t.equal(res.statusCode, 504)
})

t.test('a malformed Grpc-Timeout is a 400 before any upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: `/v1/vbase/${SVC}/backup`, headers: { ...auth, 'grpc-timeout': '5 seconds' } })
  t.equal(res.statusCode, 400)
  t.match(res.json(), { code: 3, message: /Grpc-Timeout/ })
  t.equal(sim.callCount(), 0)
})

t.test('/openapi.json and Swagger UI at /docs, without a token', async (t) => {
  const { app } = await buildTestApp(t)
  const doc = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(doc.statusCode, 200)
  t.match(doc.headers['content-type'], /^application\/json/)
  t.equal(doc.json().openapi, '3.1.0')
  const ui = await app.inject({ method: 'GET', url: '/docs' })
  t.equal(ui.statusCode, 200)
  t.match(ui.body, /swagger-ui/)
  const uiDoc = await app.inject({ method: 'GET', url: '/docs/json' })
  t.same(uiDoc.json(), doc.json(), 'the UI loads the same document')
})
