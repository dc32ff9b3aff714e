import t from 'tap'
import { DEMO_BACKUPS, DEMO_ORG_ID, DEMO_POLICY_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

// The rest of the inventory, the way the reference writes requests: snake_case
// JSON bodies, Authorization: Bearer, the rule's path.
const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const [CATALOG, ANALYTICS] = DEMO_SERVICE_IDS
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3,9})?Z$/

t.test('list by organization, update, delete and list policies, delete backup', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { jobMs: 0 } })

  const byOrg = await app.inject({ method: 'POST', url: `/v1/vbase/backup/org/${DEMO_ORG_ID}`, headers: auth, payload: { organization_id: DEMO_ORG_ID } })
  t.equal(byOrg.statusCode, 200, byOrg.body)
  const { backups } = byOrg.json() as { backups: Array<Record<string, unknown>> }
  t.same(backups.map((b) => b.name).sort(), DEMO_BACKUPS.map((b) => b.name).sort(), 'every service of the organization')
  const failed = backups.find((b) => b.status === 'FAILED')
  t.match(failed, { error_message: /quota/, size_bytes: /^\d+$/, created_at: RFC3339 })
  const fromPolicy = backups.find((b) => b.policy_id !== undefined)
  t.equal(fromPolicy?.policy_id, DEMO_POLICY_ID, 'a set optional is shown')
  t.match(byOrg.headers, { etag: /^"/, 'cache-control': /^private, max-age=\d+$/ })

  const emptyBody = await app.inject({ method: 'POST', url: `/v1/vbase/backup/org/${DEMO_ORG_ID}`, headers: auth })
  t.equal(emptyBody.statusCode, 200, 'the path alone carries the organization')

  const update = await app.inject({
    method: 'POST',
    url: `/v1/vbase/${CATALOG}/backup/policy/${DEMO_POLICY_ID}`,
    headers: auth,
    payload: { service_id: CATALOG, policy_id: DEMO_POLICY_ID, schedule_cron: '30 1 * * *', retention_count: 3, is_active: false }
  })
  t.equal(update.statusCode, 200, update.body)
  t.match(update.json(), { id: DEMO_POLICY_ID, schedule_cron: '30 1 * * *', retention_count: 3, is_active: false, updated_at: RFC3339 })
  t.match(sim.calls.at(-1), { method: 'UpdateBackupPolicy', request: { service_id: CATALOG, policy_id: DEMO_POLICY_ID, is_active: false } })

  const policies = await app.inject({ method: 'GET', url: `/v1/vbase/${CATALOG}/backup/policy`, headers: auth })
  t.equal(policies.statusCode, 200)
  t.match(policies.json(), { policies: [{ id: DEMO_POLICY_ID, is_active: false }] }, 'the write invalidated the cached list')

  const del = await app.inject({ method: 'DELETE', url: `/v1/vbase/${CATALOG}/backup/policy/${DEMO_POLICY_ID}`, headers: auth })
  t.equal(del.statusCode, 200, del.body)
  t.match(del.json(), { policy: { id: DEMO_POLICY_ID, service_id: CATALOG } })
  const again = await app.inject({ method: 'DELETE', url: `/v1/vbase/${CATALOG}/backup/policy/${DEMO_POLICY_ID}`, headers: auth })
  t.equal(again.statusCode, 404, 'NOT_FOUND from the upstream is a 404')
  t.match(again.json(), { code: 5, message: /./, details: [] })

  const name = DEMO_BACKUPS.find((b) => b.serviceId === ANALYTICS)?.name as string
  const delBackup = await app.inject({ method: 'DELETE', url: `/v1/vbase/${ANALYTICS}/backup/${name}`, headers: auth })
  t.equal(delBackup.statusCode, 200, delBackup.body)
  t.match(delBackup.json(), { backup: { name, service_id: ANALYTICS, created_at: RFC3339 } })
  const after = await app.inject({ method: 'GET', url: `/v1/vbase/${ANALYTICS}/backup`, headers: auth })
  t.notOk((after.json() as { backups: Array<{ name: string }> }).backups.some((b) => b.name === name), 'the backup is gone')
})

t.test('a backup named like a literal segment still routes to DeleteBackup', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const res = await app.inject({ method: 'DELETE', url: `/v1/vbase/${CATALOG}/backup/policy`, headers: auth })
  t.equal(res.statusCode, 404, 'the simulator has no backup named "policy"')
  t.match(sim.calls, [{ method: 'DeleteBackup', request: { service_id: CATALOG, backup_name: 'policy' } }])
})

t.test('path variables are percent-decoded', async (t) => {
  const { app, sim } = await buildTestApp(t)
  await app.inject({ method: 'DELETE', url: `/v1/vbase/${CATALOG}/backup/nightly%20copy`, headers: auth })
  t.match(sim.calls, [{ method: 'DeleteBackup', request: { backup_name: 'nightly copy' } }])
})

t.test('lowerCamelCase input is accepted, output stays snake_case by default', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { jobMs: 0 } })
  const res = await app.inject({
    method: 'POST',
    url: `/v1/vbase/${CATALOG}/backup`,
    headers: auth,
    payload: { serviceId: CATALOG, organizationId: DEMO_ORG_ID, dbName: 'catalog', collectionNames: ['products'], backupName: 'camel-001' }
  })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { name: 'camel-001', service_id: CATALOG, db_name: 'catalog', collection_names: ['products'] })
  t.match(sim.calls.at(-1), { request: { service_id: CATALOG, organization_id: DEMO_ORG_ID, db_name: 'catalog', collection_names: ['products'], backup_name: 'camel-001' } })
})

t.test('REST_JSON_NAMES=json renders lowerCamelCase', async (t) => {
  const { app } = await buildTestApp(t, { env: { REST_JSON_NAMES: 'json' } })
  const res = await app.inject({ method: 'GET', url: `/v1/vbase/${CATALOG}/backup/policy`, headers: auth })
  t.equal(res.statusCode, 200)
  const [policy] = (res.json() as { policies: Array<Record<string, unknown>> }).policies
  t.same(Object.keys(policy ?? {}).sort(), ['createdAt', 'id', 'isActive', 'organizationId', 'retentionCount', 'scheduleCron', 'serviceId', 'updatedAt'])
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  t.ok(doc.components.schemas.BackupPolicy.properties.scheduleCron, 'the document follows the same names')

  // Input errors name the fields as the caller wrote them.
  const bad = await app.inject({ method: 'POST', url: `/v1/vbase/${CATALOG}/backup`, headers: auth, payload: { organizationId: 'acme', dbName: 'db', collectionNames: ['c'] } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { message: /^organizationId must be a UUID/, details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'organizationId', description: /must be a UUID/ }] }] })
  t.notOk('field_violations' in (bad.json().details[0] as object), 'the details follow the same names')
  const empty = await app.inject({ method: 'POST', url: `/v1/vbase/${CATALOG}/backup/restore`, headers: auth, payload: { organizationId: '7c9e6679-7425-40de-944b-e07fc1f90ae7', backupName: 'b', dbName: 'db', collectionNames: ['c', ' '] } })
  t.match(empty.json(), { message: /^collectionNames\[1\] must not be empty/, details: [{ fieldViolations: [{ field: 'collectionNames[1]' }] }] })
  // Where the path and the body or the query disagree too: the body's field by the configured names, a query parameter as written.
  const conflicts: Array<[string, string, object | undefined, string]> = [
    ['POST', `/v1/vbase/${CATALOG}/backup`, { serviceId: 'other', organizationId: '7c9e6679-7425-40de-944b-e07fc1f90ae7', dbName: 'db', collectionNames: ['c'] }, 'serviceId differs between the path and the body'],
    ['GET', `/v1/vbase/${CATALOG}/backup?serviceId=other`, undefined, 'serviceId differs between the path and the query'],
    ['GET', `/v1/vbase/${CATALOG}/backup?service_id=other`, undefined, 'service_id differs between the path and the query'],
    ['POST', '/v1/vbase/backup/org/7c9e6679-7425-40de-944b-e07fc1f90ae7', { organizationId: '11111111-1111-4111-8111-111111111111' }, 'organizationId differs between the path and the body']
  ]
  for (const [method, url, payload, message] of conflicts) {
    const res = await app.inject({ method: method as 'GET' | 'POST', url, headers: auth, ...(payload === undefined ? {} : { payload }) })
    t.equal(res.statusCode, 400, message)
    t.match(res.json(), { message, details: [{ fieldViolations: [{ field: message.split(' ')[0] }] }] })
  }
})

t.test('ListBackupPolicies on an upstream without it: 501 for that route alone', async (t) => {
  const { app, sim } = await buildTestApp(t)
  sim.faults.unimplemented('ListBackupPolicies')
  const res = await app.inject({ method: 'GET', url: `/v1/vbase/${CATALOG}/backup/policy`, headers: auth })
  t.equal(res.statusCode, 501)
  t.match(res.json(), { code: 12, message: /not supported/ })
  t.equal((await app.inject({ method: 'GET', url: `/v1/vbase/${CATALOG}/backup`, headers: auth })).statusCode, 200)
})
