import t from 'tap'
import protobuf from 'protobufjs'
import { contract, type MethodInfo, type MethodName } from '../../src/upstream/contract.js'
import { bindRequest, type HttpInput } from '../../src/rest/bind.js'
import { buildOpenApi } from '../../src/rest/openapi.js'
import { restRoutes } from '../../src/rest/routes.js'

const ORG = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
const POLICY = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'

interface Row {
  method: MethodName
  verb: string
  fastifyPath: string
  input: Partial<HttpInput>
  request: Record<string, unknown>
}

// Each of the 9 HTTP rules: the route it becomes, and how a request binds.
const rows: Row[] = [
  {
    method: 'CreateBackup',
    verb: 'POST',
    fastifyPath: '/v1/vbase/:service_id/backup',
    input: { params: { service_id: 's1' }, body: { service_id: 's1', organization_id: ORG, db_name: 'd', collection_names: ['docs'], backup_name: 'b' } },
    request: { service_id: 's1', organization_id: ORG, db_name: 'd', collection_names: ['docs'], backup_name: 'b' }
  },
  {
    method: 'ListBackups',
    verb: 'GET',
    fastifyPath: '/v1/vbase/:service_id/backup',
    input: { params: { service_id: 's1' } },
    request: { service_id: 's1' }
  },
  {
    method: 'ListBackupByOrg',
    verb: 'POST',
    fastifyPath: '/v1/vbase/backup/org/:organization_id',
    input: { params: { organization_id: ORG }, body: {} },
    request: { organization_id: ORG }
  },
  {
    method: 'RestoreBackup',
    verb: 'POST',
    fastifyPath: '/v1/vbase/:service_id/backup/restore',
    input: { params: { service_id: 's1' }, body: { organizationId: ORG, backupName: 'b', dbName: 'd', collectionNames: ['docs'] } },
    request: { service_id: 's1', organization_id: ORG, backup_name: 'b', db_name: 'd', collection_names: ['docs'] }
  },
  {
    method: 'DeleteBackup',
    verb: 'DELETE',
    fastifyPath: '/v1/vbase/:service_id/backup/:backup_name',
    input: { params: { service_id: 's1', backup_name: 'b 1' } },
    request: { service_id: 's1', backup_name: 'b 1' }
  },
  {
    method: 'CreateBackupPolicy',
    verb: 'POST',
    fastifyPath: '/v1/vbase/:service_id/backup/policy',
    input: { params: { service_id: 's1' }, body: { organization_id: ORG, schedule_cron: '0 0 * * *', retention_count: 7 } },
    request: { service_id: 's1', organization_id: ORG, schedule_cron: '0 0 * * *', retention_count: 7 }
  },
  {
    method: 'UpdateBackupPolicy',
    verb: 'POST',
    fastifyPath: '/v1/vbase/:service_id/backup/policy/:policy_id',
    input: { params: { service_id: 's1', policy_id: POLICY }, body: { scheduleCron: '0 3 * * *', retentionCount: '3', isActive: false } },
    request: { service_id: 's1', policy_id: POLICY, schedule_cron: '0 3 * * *', retention_count: 3, is_active: false }
  },
  {
    method: 'DeleteBackupPolicy',
    verb: 'DELETE',
    fastifyPath: '/v1/vbase/:service_id/backup/policy/:policy_id',
    input: { params: { service_id: 's1', policy_id: POLICY } },
    request: { service_id: 's1', policy_id: POLICY }
  },
  {
    method: 'ListBackupPolicies',
    verb: 'GET',
    fastifyPath: '/v1/vbase/:service_id/backup/policy',
    input: { params: { service_id: 's1' }, query: { service_id: 's1' } },
    request: { service_id: 's1' }
  }
]

const bind = (name: MethodName, input: Partial<HttpInput>): Record<string, unknown> =>
  bindRequest(contract.method(name), { params: {}, query: {}, body: undefined, ...input })

t.test('one route per HTTP rule, nothing else', async (t) => {
  const routes = restRoutes()
  t.equal(routes.length, 9)
  t.same(routes.map((r) => [r.method.name, r.method.http.verb, r.path.fastifyPath]).sort(),
    rows.map((r) => [r.method, r.verb, r.fastifyPath]).sort())
})

for (const row of rows) {
  t.test(`${row.method}: ${row.verb} ${row.fastifyPath} binds path, body and query`, async (t) => {
    t.same(bind(row.method, row.input), row.request)
  })
}

/** [method, input, field named in the 400] */
const rejected: Array<[string, MethodName, Partial<HttpInput>, string]> = [
  ['path and body differ', 'CreateBackup', { params: { service_id: 's1' }, body: { service_id: 's2' } }, 'service_id'],
  ['path and camelCase body differ', 'UpdateBackupPolicy', { params: { service_id: 's1', policy_id: POLICY }, body: { policyId: ORG } }, 'policy_id'],
  ['path and query differ', 'ListBackups', { params: { service_id: 's1' }, query: { service_id: 's2' } }, 'service_id'],
  ['unknown body field', 'CreateBackupPolicy', { params: { service_id: 's1' }, body: { retention: 7 } }, 'retention'],
  ['wrong body type', 'CreateBackupPolicy', { params: { service_id: 's1' }, body: { retention_count: 'seven' } }, 'retention_count'],
  ['a singular query parameter given twice', 'DeleteBackup', { params: { service_id: 's1', backup_name: 'b' }, query: { service_id: ['s1', 's1'] } }, 'service_id']
]
for (const [what, method, input, field] of rejected) {
  t.test(`${method}: ${what} is a 400 naming ${field}`, async (t) => {
    t.throws(() => bind(method, input), { code: 'VBGW_INVALID_ARGUMENT', statusCode: 400, field })
  })
}

t.test('like grpc-gateway, unknown query parameters are ignored and a body:"*" rule never reads the query', async (t) => {
  const ignored: string[] = []
  const onUnknownQuery = (key: string): void => { ignored.push(key) }
  t.same(bindRequest(contract.method('ListBackups'), { params: { service_id: 's1' }, query: { page_size: '10', _: '1715' }, body: undefined }, { onUnknownQuery }),
    { service_id: 's1' })
  t.same(ignored, ['page_size', '_'], 'each ignored key is reported, e.g. for a debug log')
  ignored.length = 0
  // Not even a conflict with the path or a field name: the query is not read at all.
  t.same(bindRequest(contract.method('ListBackupByOrg'), { params: { organization_id: ORG }, query: { organization_id: 'other', nope: 'x' }, body: undefined }, { onUnknownQuery }),
    { organization_id: ORG })
  t.same(bindRequest(contract.method('CreateBackupPolicy'), { params: { service_id: 's1' }, query: { retention_count: 'seven' }, body: { retention_count: 7 } }),
    { service_id: 's1', retention_count: 7 })
  t.same(ignored, [], 'nothing is reported either')
  t.same(bind('DeleteBackup', { params: { service_id: 's1', backup_name: 'b' }, query: { service_id: 's1', page_token: 'x' } }),
    { service_id: 's1', backup_name: 'b' }, 'a known key that agrees with the path still binds next to an unknown one')
})

t.test('a body that repeats the path value is accepted (the reference does it)', async (t) => {
  t.same(bind('ListBackupByOrg', { params: { organization_id: ORG }, body: { organization_id: ORG } }), { organization_id: ORG })
})

t.test('the same UUID in another case agrees with the path, as VBase compares UUIDs; the path value is the one bound', async (t) => {
  t.same(bind('ListBackupByOrg', { params: { organization_id: ORG }, body: { organization_id: ORG.toUpperCase() } }), { organization_id: ORG })
  t.same(bind('UpdateBackupPolicy', { params: { service_id: 's1', policy_id: POLICY.toUpperCase() }, body: { policy_id: POLICY, schedule_cron: '0 0 * * *', retention_count: 7 } }),
    { service_id: 's1', policy_id: POLICY.toUpperCase(), schedule_cron: '0 0 * * *', retention_count: 7 })
  t.same(bind('DeleteBackupPolicy', { params: { service_id: 's1', policy_id: POLICY }, query: { policy_id: POLICY.toUpperCase() } }), { service_id: 's1', policy_id: POLICY })
  // Only UUIDs: other values are compared as written.
  t.throws(() => bind('ListBackups', { params: { service_id: 'svc-a' }, query: { service_id: 'SVC-A' } }), { code: 'VBGW_INVALID_ARGUMENT', field: 'service_id' })
  t.throws(() => bind('ListBackupByOrg', { params: { organization_id: ORG }, body: { organization_id: POLICY } }), { code: 'VBGW_INVALID_ARGUMENT', field: 'organization_id' })
})

t.test('a newly annotated method gets its route, bindings and OpenAPI operation with no new code', async (t) => {
  // A stand-in contract entry: only the facts the REST layer reads from the proto.
  const root = protobuf.Root.fromJSON({
    nested: {
      GetThingRequest: { fields: { thing_id: { type: 'string', id: 1 }, tags: { rule: 'repeated', type: 'string', id: 2 }, limit: { type: 'int32', id: 3 }, verbose: { type: 'bool', id: 4 } } },
      Thing: { fields: { thing_id: { type: 'string', id: 1 } } }
    }
  }).resolveAll()
  const method = {
    name: 'GetThing',
    grpcPath: '/x.Things/GetThing',
    http: { verb: 'GET', pathTemplate: '/v2/things/{thing_id}', pathParams: ['thing_id'], body: undefined },
    read: true,
    extension: false,
    description: 'Read one thing.',
    requestType: root.lookupType('GetThingRequest'),
    responseType: root.lookupType('Thing')
  } as unknown as MethodInfo
  const [route] = restRoutes([method])
  t.equal(route?.path.fastifyPath, '/v2/things/:thing_id')
  t.same(bindRequest(method, { params: { thing_id: 't1' }, query: { tags: ['a', 'b'], limit: '5', verbose: 'true' }, body: undefined }),
    { thing_id: 't1', tags: ['a', 'b'], limit: 5, verbose: true }, 'repeated fields come as repeated query parameters')
  t.throws(() => bindRequest(method, { params: { thing_id: 't1' }, query: { limit: 'five' }, body: undefined }),
    { code: 'VBGW_INVALID_ARGUMENT', field: 'limit' }, 'a known query parameter of the wrong type is still a 400')
  t.throws(() => bindRequest(method, { params: { thing_id: 't1' }, query: { limit: ['1', '2'] }, body: undefined }),
    { code: 'VBGW_INVALID_ARGUMENT', field: 'limit' }, 'so is a singular one given twice')
  const doc = buildOpenApi([route!], { names: 'proto' }) as { paths: Record<string, Record<string, { parameters: Array<{ name: string, in: string }> }>> }
  t.same(doc.paths['/v2/things/{thing_id}']?.get?.parameters.map((p) => `${p.in}:${p.name}`), ['path:thing_id', 'query:tags', 'query:limit', 'query:verbose'])
})

t.test('an HTTP rule the router cannot express stops the boot', async (t) => {
  const method = { ...contract.method('ListBackups'), http: { verb: 'GET', pathTemplate: '/v1/{name=projects/*/things/**}', pathParams: ['name'], body: undefined } }
  t.throws(() => restRoutes([method as MethodInfo]), { code: 'VBGW_INVALID_CONFIG' })
  const unbound = { ...contract.method('ListBackups'), http: { verb: 'GET', pathTemplate: '/v1/{nope}', pathParams: ['nope'], body: undefined } }
  t.throws(() => restRoutes([unbound as MethodInfo]), { code: 'VBGW_INVALID_CONFIG', message: /nope/ })
})
