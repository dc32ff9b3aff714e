/**
 * One length limit on ids and names, MAX_NAME_LENGTH, the same on REST and
 * GraphQL: a name at the limit works end to end (a backup created over REST
 * can be deleted over REST, however its name is percent-encoded in the
 * path); one past it is INVALID_ARGUMENT naming the field, before any
 * upstream call, never the router's 414.
 */
import type { LightMyRequestResponse as Response } from 'fastify'
import t, { type Test } from 'tap'
import { MAX_PARAM_LENGTH } from '../../src/app.js'
import type { MethodName } from '../../src/upstream/contract.js'
import { checkBackupName, checkServiceId, MAX_NAME_LENGTH, validateRequest } from '../../src/upstream/validate.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { gql } from '../graphql/helpers.js'

const [CATALOG] = DEMO_SERVICE_IDS
const AUTH = { authorization: `Bearer ${DEV_TOKEN}` }
const AT_LIMIT = 'n'.repeat(MAX_NAME_LENGTH)
const OVER = 'n'.repeat(MAX_NAME_LENGTH + 1)
const TOO_LONG = `must be at most ${MAX_NAME_LENGTH} characters long`

const ORG = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
const VALID: Partial<Record<MethodName, Record<string, unknown>>> = {
  CreateBackup: { service_id: 'svc', organization_id: ORG, db_name: 'db', collection_names: ['docs'], backup_name: 'b1' },
  RestoreBackup: { service_id: 'svc', organization_id: ORG, backup_name: 'b1', db_name: 'db', collection_names: ['docs'] },
  DeleteBackup: { service_id: 'svc', backup_name: 'b1' },
  ListBackups: { service_id: 'svc' },
  CreateBackupPolicy: { service_id: 'svc', organization_id: ORG, schedule_cron: '0 0 * * *', retention_count: 7 },
  ListBackupPolicies: { service_id: 'svc' }
}

/** [method, the field set to OVER (a collection index for collection_names), the field named]. */
const FIELDS: Array<[MethodName, Record<string, unknown>, string]> = [
  ['CreateBackup', { service_id: OVER }, 'service_id'],
  ['CreateBackup', { db_name: OVER }, 'db_name'],
  ['CreateBackup', { collection_names: ['docs', OVER] }, 'collection_names[1]'],
  ['CreateBackup', { backup_name: OVER }, 'backup_name'],
  ['RestoreBackup', { backup_name: OVER }, 'backup_name'],
  ['RestoreBackup', { db_name: OVER }, 'db_name'],
  ['RestoreBackup', { collection_names: [OVER] }, 'collection_names[0]'],
  ['DeleteBackup', { backup_name: OVER }, 'backup_name'],
  ['ListBackups', { service_id: OVER }, 'service_id'],
  ['CreateBackupPolicy', { service_id: OVER }, 'service_id'],
  ['ListBackupPolicies', { service_id: OVER }, 'service_id']
]

t.test('every id and name field: at the limit passes, one past it is named', async (t) => {
  t.equal(MAX_NAME_LENGTH, 256)
  for (const [method, change, field] of FIELDS) {
    const over = { ...VALID[method], ...change }
    t.throws(() => validateRequest(method, over), { code: 'VBGW_INVALID_ARGUMENT', statusCode: 400, field, message: `${field} ${TOO_LONG}` }, `${method} ${field}`)
    const atLimit = JSON.parse(JSON.stringify(over).replaceAll(OVER, AT_LIMIT)) as Record<string, unknown>
    t.doesNotThrow(() => validateRequest(method, atLimit), `${method} ${field} at the limit`)
  }
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, backup_name: OVER }, { name: (f) => `input.${f}` }),
    { field: 'input.backup_name', message: `input.backup_name ${TOO_LONG}` }, 'renamed like the other checks')
  t.throws(() => checkServiceId(OVER, 'serviceId'), { field: 'serviceId', message: `serviceId ${TOO_LONG}` })
  t.throws(() => checkBackupName(OVER, 'name'), { field: 'name', message: `name ${TOO_LONG}` })
  checkServiceId(AT_LIMIT)
  checkBackupName('€'.repeat(MAX_NAME_LENGTH))
  t.throws(() => checkBackupName('€'.repeat(MAX_NAME_LENGTH + 1)), { field: 'backup_name', message: `backup_name ${TOO_LONG}` }, 'counted in characters, not bytes')
})

t.test('the router lets a path value at the limit through, percent-encoded in the worst case', async (t) => {
  // Three UTF-8 bytes per character, each written %XX.
  t.ok(MAX_PARAM_LENGTH >= encodeURIComponent('€'.repeat(MAX_NAME_LENGTH)).length, `${MAX_PARAM_LENGTH} chars`)
})

t.test('REST: a name at the limit is created and deleted; one past it is 400 before the upstream', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const create = (backupName: string, extra: Record<string, unknown> = {}): Promise<Response> => app.inject({
    method: 'POST',
    url: `/v1/vbase/${CATALOG}/backup`,
    headers: { ...AUTH, 'content-type': 'application/json' },
    payload: { organization_id: DEMO_ORG_ID, db_name: 'main', collection_names: ['docs'], backup_name: backupName, ...extra }
  })
  const remove = (backupName: string): Promise<Response> =>
    app.inject({ method: 'DELETE', url: `/v1/vbase/${CATALOG}/backup/${encodeURIComponent(backupName)}`, headers: AUTH })

  // Plain, multi-byte (9 encoded chars each), and '%' (which the router keeps encoded as %2525).
  for (const name of [AT_LIMIT, '€'.repeat(MAX_NAME_LENGTH), '%'.repeat(MAX_NAME_LENGTH)]) {
    const created = await create(name)
    t.equal(created.statusCode, 200, `created ${name[0]} x ${name.length}`)
    const deleted = await remove(name)
    t.equal(deleted.statusCode, 200, `deleted ${name[0]} x ${name.length}`)
    t.equal(deleted.json().backup?.name, name, 'the backup deleted, its name whole')
  }

  const listed = await app.inject({ url: `/v1/vbase/${AT_LIMIT}/backup`, headers: AUTH })
  t.equal(listed.statusCode, 200, 'a service id at the limit lists')
  t.same(listed.json(), { backups: [] })

  sim.resetCalls()
  const expect400 = async (t: Test, res: Response, field: string): Promise<void> => {
    t.equal(res.statusCode, 400, `${field}: 400, not 414`)
    const body = res.json()
    t.equal(body.code, 3, 'INVALID_ARGUMENT')
    t.equal(body.message, `${field} ${TOO_LONG}`)
    t.match(body.details, [{ field_violations: [{ field }] }], 'the field, in details')
  }
  await expect400(t, await create(OVER), 'backup_name')
  await expect400(t, await create('ok', { db_name: OVER }), 'db_name')
  await expect400(t, await create('ok', { collection_names: ['docs', OVER] }), 'collection_names[1]')
  await expect400(t, await remove(OVER), 'backup_name')
  await expect400(t, await remove('€'.repeat(MAX_NAME_LENGTH + 1)), 'backup_name')
  await expect400(t, await app.inject({ url: `/v1/vbase/${OVER}/backup`, headers: AUTH }), 'service_id')
  t.equal(sim.callCount(), 0, 'no upstream call for any of them')
})

t.test('GraphQL: the same limit, the same words, no upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const CREATE = 'mutation C($input: CreateBackupInput!) { createBackup(input: $input) { backup { name } } }'
  const input = { serviceId: CATALOG, organizationId: DEMO_ORG_ID, dbName: 'main', collectionNames: ['docs'] }

  const { body: ok } = await gql(app, CREATE, { variables: { input: { ...input, backupName: AT_LIMIT } } })
  t.notOk(ok.errors, 'a name at the limit is created')
  t.equal(ok.data.createBackup.backup.name, AT_LIMIT)

  sim.resetCalls()
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [CREATE, { input: { ...input, backupName: OVER } }, 'input.backupName'],
    [CREATE, { input: { ...input, dbName: OVER } }, 'input.dbName'],
    [CREATE, { input: { ...input, serviceId: OVER } }, 'input.serviceId'],
    ['query Q($id: ID!) { service(id: $id) { backups { totalCount } } }', { id: OVER }, 'id'],
    ['query Q($s: ID!, $n: String!) { backup(serviceId: $s, name: $n) { name } }', { s: CATALOG, n: OVER }, 'name']
  ]
  for (const [query, variables, field] of cases) {
    const { body } = await gql(app, query, { variables })
    t.match(body.errors?.[0], { message: `${field} ${TOO_LONG}`, extensions: { field, grpcStatus: 'INVALID_ARGUMENT' } }, field)
  }
  t.equal(sim.callCount(), 0, 'no upstream call for any of them')
})
