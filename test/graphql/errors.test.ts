/**
 * Auth and error mapping: the caller's Authorization reaching the upstream
 * unchanged, a missing token refused before any upstream call, upstream
 * codes through the one table into `extensions`, partial results, safe
 * messages, and request errors (parse, validation, variables) as 400s.
 */
import { status as GrpcStatus } from '@grpc/grpc-js'
import t from 'tap'
import { statusDetailsTrailers, type DetailToSend } from '../../src/simulator/faults.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { BEARER, codes, gql } from './helpers.js'

const [CATALOG, ANALYTICS] = DEMO_SERVICE_IDS
const OTHER_ORG = '11111111-2222-4333-8444-555555555555'
const OTHER_TOKEN = 'other-org-token'

t.test('auth and errors', async (t) => {
  const { app, sim } = await buildTestApp(t, {
    // One attempt per read, so one injected UNAVAILABLE is one failed field.
    env: { UPSTREAM_READ_ATTEMPTS: '1' },
    simulator: { clock: new FakeClock(), tokens: `${DEV_TOKEN}=${DEMO_ORG_ID},${OTHER_TOKEN}=${OTHER_ORG}` }
  })
  t.afterEach(() => { sim.clearFaults() })

  t.test('the Authorization header reaches the upstream unchanged', async (t) => {
    for (const authorization of [BEARER, `bearer   ${OTHER_TOKEN}`]) {
      sim.resetCalls()
      await gql(app, `{ service(id: "svc-token-check") { backups { totalCount } policies { id } } }`, { headers: { authorization } })
      t.equal(sim.callCount(), 2)
      for (const call of sim.calls) t.equal(call.metadata.authorization, authorization, call.method)
    }
  })

  t.test('no Authorization: 401 UNAUTHENTICATED before any upstream call', async (t) => {
    for (const authorization of [null, 'Basic dXNlcjpwYXNz', 'Bearer ']) {
      sim.resetCalls()
      const { status, body, headers } = await gql(app, `{ service(id: "${CATALOG}") { backups { totalCount } } }`, { headers: { authorization } })
      t.equal(status, 401, String(authorization))
      t.equal(headers['www-authenticate'], 'Bearer')
      t.notOk('data' in body, 'a request error has no data')
      t.same(codes(body), ['UNAUTHENTICATED'])
      t.equal(body.errors?.[0]?.extensions.grpcStatus, 'UNAUTHENTICATED')
      t.match(body.errors?.[0]?.message, /Authorization: Bearer <token>/)
      t.equal(sim.callCount(), 0)
    }
    const { status, body } = await gql(app, 'mutation { deleteBackup(input: { serviceId: "s", backupName: "b" }) { backup { name } } }', { headers: { authorization: null } })
    t.equal(status, 401)
    t.same(codes(body), ['UNAUTHENTICATED'])
    t.equal(sim.callCount(), 0)
  })

  t.test('introspection needs no token, so GraphiQL can load the schema', async (t) => {
    const { status, body } = await gql(app, '{ __schema { queryType { name } } __type(name: "Backup") { description } }', { headers: { authorization: null } })
    t.equal(status, 200)
    t.same(body.data.__schema, { queryType: { name: 'Query' } })
    t.equal(body.data.__type.description, 'A backup job and the artifact it produces.')
  })

  t.test('an invalid token is the upstream\'s UNAUTHENTICATED, as field errors', async (t) => {
    const { status, body } = await gql(app, `{ service(id: "${CATALOG}") { id backups { totalCount } } }`, { headers: { authorization: 'Bearer wrong-token' } })
    t.equal(status, 200)
    t.same(body.data, { service: { id: CATALOG, backups: null } })
    t.same(codes(body), ['UNAUTHENTICATED'])
    t.equal(body.errors?.[0]?.extensions.grpcStatus, 'UNAUTHENTICATED')
  })

  t.test('PERMISSION_DENIED is FORBIDDEN, NOT_FOUND is NOT_FOUND, each with its gRPC code', async (t) => {
    const { body } = await gql(app, `{ organization(id: "${OTHER_ORG}") { backups { totalCount } } }`)
    t.same(body.errors?.map((e) => [e.extensions.code, e.extensions.grpcStatus]), [['FORBIDDEN', 'PERMISSION_DENIED']])
    const { body: missing } = await gql(app, `mutation { deleteBackup(input: { serviceId: "${CATALOG}", backupName: "nope" }) { backup { name } } }`)
    t.same(missing.errors?.map((e) => [e.extensions.code, e.extensions.grpcStatus]), [['NOT_FOUND', 'NOT_FOUND']])
    t.match(missing.errors?.[0]?.message, /not found/)
  })

  t.test('UNAVAILABLE fails only the field that needed the call: partial results', async (t) => {
    sim.faults.failNext(1, GrpcStatus.UNAVAILABLE, `connect ECONNREFUSED ${sim.address}`)
    const { status, body } = await gql(app, `{
      a: service(id: "${CATALOG}") { id backups { totalCount } }
      b: service(id: "${ANALYTICS}") { id backups { totalCount } }
    }`)
    t.equal(status, 200)
    const failed = ['a', 'b'].filter((k) => body.data[k].backups === null)
    t.equal(failed.length, 1, 'one service failed')
    t.equal(body.data[failed[0] === 'a' ? 'b' : 'a'].backups.totalCount > 0, true, 'the other stands')
    t.same(body.errors?.map((e) => [e.extensions.code, e.extensions.grpcStatus]), [['UPSTREAM_UNAVAILABLE', 'UNAVAILABLE']])
    t.same(body.errors?.[0]?.path, [failed[0], 'backups'])
    t.equal(body.errors?.[0]?.message, 'the backup service is unavailable, try again shortly')
  })

  t.test('UNIMPLEMENTED ListBackupPolicies fails the policies field alone', async (t) => {
    sim.faults.unimplemented('ListBackupPolicies')
    const { status, body } = await gql(app, `{ service(id: "${CATALOG}") { id backups { totalCount } policies { id } backup(name: "catalog-nightly-001") { name } } }`)
    t.equal(status, 200)
    t.same(body.data, { service: { id: CATALOG, backups: { totalCount: 3 }, policies: null, backup: { name: 'catalog-nightly-001' } } })
    t.same(body.errors?.map((e) => [e.extensions.code, e.extensions.grpcStatus, e.path]), [['UNSUPPORTED_BY_UPSTREAM', 'UNIMPLEMENTED', ['service', 'policies']]])
    t.equal(body.errors?.[0]?.message, 'this operation is not supported by the backup service')
  })

  t.test('server faults show a safe message: no address, stack or raw gRPC text', async (t) => {
    const secret = `internal failure at ${sim.address}\n    at Object.<anonymous> (/srv/vbase/handler.js:12:3)`
    for (const code of [GrpcStatus.INTERNAL, GrpcStatus.UNKNOWN, GrpcStatus.DATA_LOSS]) {
      sim.faults.failNext(1, code, secret)
      const { body } = await gql(app, `{ service(id: "${CATALOG}") { backups { totalCount } } }`)
      t.same(codes(body), ['INTERNAL_SERVER_ERROR'])
      t.equal(body.errors?.[0]?.extensions.grpcStatus, GrpcStatus[code])
      const text = JSON.stringify(body)
      t.notMatch(text, String(sim.port))
      t.notMatch(text, /handler\.js|\bat Object/)
    }
  })

  t.test('VBase\'s BadRequest names extensions.field as the gateway names its own: a mutation\'s input, a read\'s proto name', async (t) => {
    const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest'
    const violation = (field: string): DetailToSend => ({ '@type': BAD_REQUEST, field_violations: [{ field, description: 'no such collection' }] })
    const debugInfo: DetailToSend = { '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: 'milvus at 10.0.0.7 refused' }
    const mutation = `mutation { createBackup(input: { serviceId: "${CATALOG}", organizationId: "${DEMO_ORG_ID}", dbName: "db", collectionNames: ["a", "nope"] }) { backup { name } } }`
    // Twice: the second run of a parsed document goes through the JIT.
    for (const run of ['first', 'second']) {
      sim.faults.failNext(1, GrpcStatus.INVALID_ARGUMENT, 'collection "nope" does not exist', statusDetailsTrailers(GrpcStatus.INVALID_ARGUMENT, 'collection "nope" does not exist', [debugInfo, violation('collection_names[1]')]))
      const { status, body } = await gql(app, mutation)
      t.equal(status, 200)
      t.same(body.errors?.map((e) => [e.extensions.code, e.extensions.grpcStatus, e.extensions.field, e.message]),
        [['BAD_USER_INPUT', 'INVALID_ARGUMENT', 'input.collectionNames[1]', 'collection "nope" does not exist']], `${run} run: a mutation's input`)
      t.notMatch(JSON.stringify(body), /10\.0\.0\.7|milvus/, 'nothing of DebugInfo')
    }
    sim.faults.failNext(1, GrpcStatus.FAILED_PRECONDITION, 'service is being migrated', statusDetailsTrailers(GrpcStatus.FAILED_PRECONDITION, 'service is being migrated', [violation('service_id')]))
    const { body: read } = await gql(app, `{ service(id: "${CATALOG}") { backups { totalCount } } }`)
    t.same(read.errors?.map((e) => [e.extensions.code, e.extensions.field, e.path]), [['FAILED_PRECONDITION', 'service_id', ['service', 'backups']]], 'a read: the proto name, as its own checks name it')
    sim.faults.failNext(1, GrpcStatus.INTERNAL, 'boom', statusDetailsTrailers(GrpcStatus.INTERNAL, 'boom', [violation('collection_names[1]')]))
    const { body: failed } = await gql(app, mutation)
    t.same(failed.errors?.map((e) => e.extensions), [{ code: 'INTERNAL_SERVER_ERROR', grpcStatus: 'INTERNAL', reason: 'WRITE_OUTCOME_UNKNOWN' }], 'a server-side failure: none of it')
    sim.faults.failNext(1, GrpcStatus.INVALID_ARGUMENT, 'refused')
    const { body: plain } = await gql(app, mutation)
    t.same(plain.errors?.map((e) => e.extensions), [{ code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT' }], 'no details, no field')
  })

  t.test('request errors: 400 with the GraphQL code, no data, no upstream call', async (t) => {
    sim.resetCalls()
    const cases: Array<[string, Record<string, unknown> | undefined, string]> = [
      ['{ service(id: "x") { ', undefined, 'GRAPHQL_PARSE_FAILED'],
      ['{ service(id: "x") { nope } }', undefined, 'GRAPHQL_VALIDATION_FAILED'],
      ['query Q($id: ID!) { service(id: $id) { id } }', {}, 'BAD_USER_INPUT'],
      ['query Q($n: Int) { service(id: "x") { backups(first: $n) { totalCount } } }', { n: 'ten' }, 'BAD_USER_INPUT'],
      // A document's own mistakes about variables are validation failures, not bad values.
      ['query Q($n: Int) { service(id: "x") { id } }', {}, 'GRAPHQL_VALIDATION_FAILED'],
      ['query Q { service(id: $id) { id } }', {}, 'GRAPHQL_VALIDATION_FAILED'],
      ['query Q($id: ID) { service(id: $id) { id } }', { id: 'x' }, 'GRAPHQL_VALIDATION_FAILED']
    ]
    // Twice each: the second run of a parsed document goes through the JIT.
    for (const [query, variables, code] of [...cases, ...cases]) {
      const { status, body } = await gql(app, query, variables === undefined ? {} : { variables })
      t.equal(status, 400, query)
      t.same(codes(body), [code], query)
      t.equal(body.errors?.[0]?.extensions.grpcStatus, 'INVALID_ARGUMENT')
      t.notOk('data' in body)
    }
    t.equal(sim.callCount(), 0)
  })

  t.test('a variable value that does not coerce names the variable and the field inside it', async (t) => {
    sim.resetCalls()
    const policy = { serviceId: ANALYTICS, organizationId: DEMO_ORG_ID, scheduleCron: '0 1 * * *', retentionCount: 'seven' }
    const { body } = await gql(app, 'mutation CP($input: CreateBackupPolicyInput!) { createBackupPolicy(input: $input) { policy { id } } }', { variables: { input: policy } })
    t.same(codes(body), ['BAD_USER_INPUT'])
    t.match(body.errors?.[0]?.message, /^Variable "\$input" got invalid value "seven" at "input\.retentionCount"; Int cannot represent non-integer value/)
    const backup = { serviceId: ANALYTICS, organizationId: DEMO_ORG_ID, dbName: 'db', collectionNames: ['docs', null] }
    const { body: list } = await gql(app, 'mutation C($input: CreateBackupInput!) { createBackup(input: $input) { backup { name } } }', { variables: { input: backup } })
    t.match(list.errors?.[0]?.message, /"input\.collectionNames\[1\]"/)
    const { body: paging } = await gql(app, `query Q($first: Int, $last: Int) { service(id: "${CATALOG}") { backups(first: $first, last: $last) { totalCount } } }`, { variables: { first: 1, last: 'x' } })
    t.match(paging.errors?.[0]?.message, /^Variable "\$last"/)
    t.equal(sim.callCount(), 0)
  })

  t.test('mutations are refused over GET', async (t) => {
    const res = await app.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('mutation { deleteBackup(input: { serviceId: "s", backupName: "b" }) { backup { name } } }')}`,
      headers: { authorization: BEARER }
    })
    t.equal(res.statusCode, 405)
    t.match(res.json().errors[0].message, /GET/)
    t.equal(sim.callCount('DeleteBackup'), 0)
  })
})
