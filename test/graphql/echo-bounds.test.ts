/**
 * GraphQL takes service ids, and the backup name a lookup asks for, up to
 * the length a REST path takes (MAX_PARAM_LENGTH). `service(id:)` makes no
 * upstream call and answers its id, so under 50 aliases one long variable
 * was echoed 50 times: a 1 MB request became a 50 MB answer. Past the limit
 * the field is BAD_USER_INPUT naming its argument, before any upstream call;
 * names made by other VBase clients, longer than a create allows, still work.
 */
import t from 'tap'
import { MAX_PARAM_LENGTH } from '../../src/app.js'
import { MAX_ID_LENGTH } from '../../src/upstream/validate.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { codes, gql, headersOf } from './helpers.js'

const [CATALOG] = DEMO_SERVICE_IDS
const AT_LIMIT = 's'.repeat(MAX_ID_LENGTH)
const OVER = 's'.repeat(MAX_ID_LENGTH + 1)

/** 50 aliases (GRAPHQL_MAX_ALIASES) of `service(id: $v) { id }`. */
const ECHOES = `query E($v: ID!) { ${Array.from({ length: 50 }, (_, i) => `a${i}: service(id: $v) { id }`).join(' ')} }`

t.test('the limit is the one REST paths have', async (t) => {
  t.equal(MAX_ID_LENGTH, MAX_PARAM_LENGTH)
  t.ok(MAX_ID_LENGTH >= 1000, 'a 1000-character name made elsewhere fits')
})

t.test('one long variable echoed under 50 aliases: refused before anything runs, a small answer, no upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const payload = JSON.stringify({ query: ECHOES, variables: { v: 'x'.repeat(1_000_000) } })
  const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload })
  t.equal(res.statusCode, 400, 'a request error: no string anywhere takes more')
  t.same(res.json(), { errors: [{ message: `variable $v may hold at most ${MAX_ID_LENGTH} characters; it holds 1000000`, extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT' } }] })
  t.ok(res.rawPayload.length < 1024, `answer of ${res.rawPayload.length} bytes to a request of ${payload.length}`)
  t.equal(sim.callCount(), 0)
})

t.test('a string past the limit anywhere, a variable nested in an input or a literal in the query, is a request error', async (t) => {
  const { app, sim } = await buildTestApp(t)
  sim.resetCalls()
  const create = 'mutation C($input: CreateBackupInput!) { createBackup(input: $input) { backup { name } } }'
  const nested = await gql(app, create, { variables: { input: { serviceId: 'svc', organizationId: DEMO_ORG_ID, dbName: 'db', collectionNames: ['c', OVER] } } })
  t.equal(nested.status, 400)
  t.match(nested.body.errors, [{ message: `variable $input.collectionNames[1] may hold at most ${MAX_ID_LENGTH} characters; it holds ${MAX_ID_LENGTH + 1}`, extensions: { code: 'BAD_USER_INPUT' } }])
  const literal = await gql(app, `{ service(id: "${OVER}") { id } }`)
  t.equal(literal.status, 400)
  t.match(literal.body.errors, [{ message: `A string argument may hold at most ${MAX_ID_LENGTH} characters; this one holds ${MAX_ID_LENGTH + 1}.`, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }])
  t.equal(sim.callCount(), 0)
  // A body nested deeper than any input: walked without recursion.
  const deep = `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`
  const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: `{"query":${JSON.stringify(ECHOES)},"variables":{"v":"a","w":${deep}}}` })
  t.equal(res.statusCode, 200, 'an unused variable nested 100000 deep is walked and answered')
})

t.test('at the limit the echo is bounded: 50 aliases answer at most 50 x MAX_ID_LENGTH characters', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: { query: ECHOES, variables: { v: AT_LIMIT } } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().data.a49.id, AT_LIMIT, 'an id at the limit is answered whole')
  t.ok(res.rawPayload.length < 50 * (MAX_ID_LENGTH + 32) + 64, `${res.rawPayload.length} bytes`)
})

t.test('lookups and mutations: one character past the limit is BAD_USER_INPUT naming the variable, before the upstream', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['query Q($v: ID!) { service(id: $v) { backups { totalCount } } }', { v: OVER }, 'id'],
    ['query Q($v: ID!) { backup(serviceId: $v, name: "b") { name } }', { v: OVER }, 'serviceId'],
    ['query Q($v: String!) { backup(serviceId: "svc", name: $v) { name } }', { v: OVER }, 'name'],
    ['mutation M($v: ID!) { deleteBackup(input: { serviceId: $v, backupName: "b" }) { backup { name } } }', { v: OVER }, 'input.serviceId'],
    [`mutation M($v: ID!) { createBackup(input: { serviceId: $v, organizationId: "${DEMO_ORG_ID}", dbName: "db", collectionNames: ["c"] }) { backup { name } } }`,
      { v: OVER }, 'input.serviceId']
  ]
  for (const [query, variables, field] of cases) {
    sim.resetCalls()
    const { status, body } = await gql(app, query, { variables })
    t.equal(status, 400, field)
    t.same(codes(body), ['BAD_USER_INPUT'], field)
    t.match(body.errors?.[0], { message: `variable $v may hold at most ${MAX_ID_LENGTH} characters; it holds ${MAX_ID_LENGTH + 1}`, extensions: { grpcStatus: 'INVALID_ARGUMENT' } }, field)
    t.equal(sim.callCount(), 0, `${field}: no upstream call`)
  }
})

t.test('names made elsewhere, longer than a create allows, stay reachable', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const long = 'x'.repeat(1000)
  const { body: listed } = await gql(app, 'query Q($v: ID!) { service(id: $v) { id backups { totalCount } } }', { variables: { v: long } })
  t.same([listed.errors, listed.data?.service], [undefined, { id: long, backups: { totalCount: 0 } }], 'a 1000-character service id lists')
  const { body: found } = await gql(app, 'query Q($s: ID!, $v: String!) { backup(serviceId: $s, name: $v) { name } }', { variables: { s: CATALOG, v: long } })
  t.same([found.errors, found.data?.backup], [undefined, null], 'a 1000-character backup name is looked up')
  sim.resetCalls()
  const { body: deleted } = await gql(app, 'mutation M($v: String!) { deleteBackup(input: { serviceId: "svc-demo-catalog", backupName: $v }) { backup { name } } }',
    { variables: { v: long } })
  t.same(codes(deleted), ['NOT_FOUND'], 'a 1000-character name to delete reaches the upstream, which has none')
  t.equal(sim.callCount('DeleteBackup'), 1)
  const { body: atLimit } = await gql(app, 'query Q($v: ID!) { service(id: $v) { backups { totalCount } } }', { variables: { v: AT_LIMIT } })
  t.same([atLimit.errors, atLimit.data?.service.backups.totalCount], [undefined, 0], 'a service id at the limit lists')
})
