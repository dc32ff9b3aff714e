/**
 * CSRF prevention: a request a browser could send cross-site without a CORS
 * preflight (a form or text/plain body, a GET with no custom header) is
 * refused with 400 on /graphql and on REST writes, before any upstream call.
 * JSON requests, and requests carrying a header that forces a preflight,
 * pass. /graphql never runs a mutation over GET.
 */
import t from 'tap'
import { isPreflighted } from '../../src/http/csrf.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const [CATALOG] = DEMO_SERVICE_IDS
const BEARER = `Bearer ${DEV_TOKEN}`
const GRAPHQL_CSRF = 'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF).'
const REST_CSRF = /^this request has been blocked as a potential cross-site request forgery \(CSRF\)/
const QUERY = `{ service(id: "${CATALOG}") { backups { totalCount } } }`
const INTROSPECTION = '{ __schema { queryType { name } } }'
const createBackup = { organization_id: DEMO_ORG_ID, db_name: 'catalog', collection_names: ['docs'], backup_name: 'csrf-check' }

// What a cross-site page can send without a preflight: an HTML form (urlencoded
// or multipart) or fetch with a text/plain body, and no custom header.
const SIMPLE_BODIES: Array<[string, string]> = [
  ['text/plain', JSON.stringify({ query: QUERY })],
  ['text/plain;charset=UTF-8', JSON.stringify({ query: QUERY })],
  ['application/x-www-form-urlencoded', `query=${encodeURIComponent(QUERY)}`],
  ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${QUERY}\r\n--x--\r\n`]
]

t.test('/graphql', async (t) => {
  const { app, sim } = await buildTestApp(t)

  t.test('a simple cross-site POST is refused before any upstream call', async (t) => {
    for (const [type, payload] of SIMPLE_BODIES) {
      sim.resetCalls()
      const res = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': type }, payload })
      t.equal(res.statusCode, 400, type)
      t.same(res.json(), { errors: [{ message: GRAPHQL_CSRF, extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT' } }] }, type)
      t.equal(sim.callCount(), 0, `${type}: no upstream call`)
    }
  })

  t.test('a GET without a preflight header is refused', async (t) => {
    // Introspection needs no token: without the rule this GET would run.
    const res = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(INTROSPECTION)}` })
    t.equal(res.statusCode, 400)
    t.equal(res.json().errors[0].message, GRAPHQL_CSRF)
  })

  t.test('JSON, or a header that forces a preflight, passes', async (t) => {
    const json = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: { query: INTROSPECTION } })
    t.same(json.json(), { data: { __schema: { queryType: { name: 'Query' } } } }, 'JSON POST')
    // Apollo Server's two too: an Apollo client set up for its CSRF check passes this one.
    for (const header of ['x-mercurius-operation-name', 'mercurius-require-preflight', 'x-apollo-operation-name', 'apollo-require-preflight']) {
      const res = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(INTROSPECTION)}`, headers: { [header]: 'x' } })
      t.equal(res.statusCode, 200, header)
    }
    const bearer = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(QUERY)}`, headers: { authorization: BEARER } })
    t.same(bearer.json(), { data: { service: { backups: { totalCount: 3 } } } }, 'a GET with Authorization (set only by script, so preflighted)')
  })

  t.test('a GET never runs a mutation', async (t) => {
    sim.resetCalls()
    const mutation = `mutation { deleteBackup(input: { serviceId: "${CATALOG}", backupName: "catalog-nightly-001" }) { __typename } }`
    const res = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(mutation)}`, headers: { authorization: BEARER } })
    t.equal(res.statusCode, 405)
    t.match(res.json().errors[0].message, /via a GET request/)
    t.equal(sim.callCount(), 0)
    const backups = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: BEARER, 'content-type': 'application/json', 'cache-control': 'no-cache' }, payload: { query: QUERY } })
    t.equal(backups.json().data.service.backups.totalCount, 3, 'the backup is still there')
  })
})

t.test('REST writes', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const url = `/v1/vbase/${CATALOG}/backup`

  t.test('a simple cross-site POST is refused before any upstream call', async (t) => {
    for (const [type, payload] of [...SIMPLE_BODIES, ['', '']] as Array<[string, string]>) {
      sim.resetCalls()
      const headers: Record<string, string> = type === '' ? {} : { 'content-type': type }
      const res = await app.inject({ method: 'POST', url, headers, payload })
      t.equal(res.statusCode, 400, type || 'no content type')
      t.match(res.json(), { code: 3, message: REST_CSRF, details: [] }, type || 'no content type')
      t.equal(sim.callCount(), 0)
    }
  })

  t.test('JSON passes and reaches the upstream', async (t) => {
    sim.resetCalls()
    const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', authorization: BEARER }, payload: createBackup })
    t.equal(res.statusCode, 200, res.body)
    t.equal(sim.callCount('CreateBackup'), 1)
  })

  t.test('a non-simple header passes the rule (the body is then judged on its own)', async (t) => {
    sim.resetCalls()
    const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain', authorization: BEARER }, payload: JSON.stringify(createBackup) })
    t.equal(res.statusCode, 415, 'not a CSRF refusal: text/plain is not accepted at all')
    t.equal(sim.callCount(), 0)
  })

  t.test('reads and DELETE are not subject to it', async (t) => {
    // A read changes nothing; DELETE always makes a browser preflight.
    const read = await app.inject({ method: 'POST', url: `/v1/vbase/backup/org/${DEMO_ORG_ID}`, headers: { 'content-type': 'text/plain' }, payload: '{}' })
    t.equal(read.statusCode, 401, 'the read-only POST goes on to the token check')
    const del = await app.inject({ method: 'DELETE', url: `/v1/vbase/${CATALOG}/backup/catalog-nightly-001` })
    t.equal(del.statusCode, 401)
  })
})

t.test('CSRF_PREVENTION=false switches the rule off on both surfaces', async (t) => {
  const { app } = await buildTestApp(t, { env: { CSRF_PREVENTION: 'false' } })
  const graphql = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(INTROSPECTION)}` })
  t.equal(graphql.statusCode, 200)
  const rest = await app.inject({ method: 'POST', url: `/v1/vbase/${CATALOG}/backup`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' })
  t.equal(rest.statusCode, 401, 'on to the token check')
})

t.test('isPreflighted', async (t) => {
  t.ok(isPreflighted({ 'content-type': 'application/json' }))
  t.ok(isPreflighted({ 'content-type': 'Application/JSON; charset=utf-8' }))
  t.ok(isPreflighted({ 'content-type': 'application/graphql' }))
  t.ok(isPreflighted({ authorization: 'Bearer x' }))
  t.notOk(isPreflighted({}))
  t.notOk(isPreflighted({ 'content-type': 'text/plain' }))
  t.notOk(isPreflighted({ 'content-type': 'application/jsonx' }))
  t.notOk(isPreflighted({ 'content-type': 'multipart/form-data; boundary=application/json' }))
  t.notOk(isPreflighted({ 'content-type': 'text/plain', accept: 'application/json', 'accept-language': 'en' }), 'safelisted headers do not count')
})
