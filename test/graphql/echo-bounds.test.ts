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
const TOO_LONG = `must be at most ${MAX_ID_LENGTH} characters long`

/** 50 aliases (GRAPHQL_MAX_ALIASES) of `service(id: $v) { id }`. */
const ECHOES = `query E($v: ID!) { ${Array.from({ length: 50 }, (_, i) => `a${i}: service(id: $v) { id }`).join(' ')} }`

t.test('the limit is the one REST paths have', async (t) => {
  t.equal(MAX_ID_LENGTH, MAX_PARAM_LENGTH)
  t.ok(MAX_ID_LENGTH >= 1000, 'a 1000-character name made elsewhere fits')
})

t.test('one long variable echoed under 50 aliases: refused on each field, a small answer, no upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const payload = JSON.stringify({ query: ECHOES, variables: { v: 'x'.repeat(1_000_000) } })
  const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload })
  t.equal(res.statusCode, 200, 'field errors, as for any input the gateway rejects')
  const body = res.json()
  t.equal(Object.values(body.data).filter((v) => v !== null).length, 0, 'no field answers')
  t.equal(body.errors?.length, 50)
  t.match(body.errors[0], { message: `id ${TOO_LONG}`, extensions: { code: 'BAD_USER_INPUT', field: 'id' } })
  t.ok(res.rawPayload.length < 64 * 1024, `answer of ${res.rawPayload.length} bytes to a request of ${payload.length}`)
  t.equal(sim.callCount(), 0)
})

t.test('at the limit the echo is bounded: 50 aliases answer at most 50 x MAX_ID_LENGTH characters', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: { query: ECHOES, variables: { v: AT_LIMIT } } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().data.a49.id, AT_LIMIT, 'an id at the limit is answered whole')
  t.ok(res.rawPayload.length < 50 * (MAX_ID_LENGTH + 32) + 64, `${res.rawPayload.length} bytes`)
})

t.test('lookups and mutations: one character past the limit is BAD_USER_INPUT naming the argument, before the upstream', async (t) => {
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
    t.equal(status, 200, field)
    t.same(codes(body), ['BAD_USER_INPUT'], field)
    t.match(body.errors?.[0], { message: `${field} ${TOO_LONG}`, extensions: { field, grpcStatus: 'INVALID_ARGUMENT' } }, field)
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
