/**
 * One length limit, MAX_NAME_LENGTH, on the one name a caller makes through
 * the gateway: the backup name of a create, the same on REST and GraphQL.
 * A name at the limit works end to end (a backup created over REST can be
 * deleted over REST, however its name is percent-encoded in the path); one
 * past it is INVALID_ARGUMENT naming the field, before any upstream call.
 * Names the gateway only passes along (services, backups to restore or
 * delete, databases, collections) are not bounded: another VBase client may
 * have made them longer, and they must stay reachable.
 */
import type { LightMyRequestResponse as Response } from 'fastify'
import t from 'tap'
import { MAX_PARAM_LENGTH } from '../../src/app.js'
import type { MethodName } from '../../src/upstream/contract.js'
import { checkBackupName, checkServiceId, MAX_ID_LENGTH, MAX_NAME_LENGTH, validateRequest } from '../../src/upstream/validate.js'
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

/** Fields only passed along: any length. */
const PASSED_ALONG: Array<[MethodName, Record<string, unknown>]> = [
  ['CreateBackup', { service_id: OVER }], // ASCII: within what a REST path takes, see below
  ['RestoreBackup', { backup_name: OVER }],
  ['RestoreBackup', { db_name: OVER }],
  ['RestoreBackup', { collection_names: [OVER] }],
  ['DeleteBackup', { backup_name: OVER }],
  ['ListBackups', { service_id: OVER }],
  ['CreateBackupPolicy', { service_id: OVER }],
  ['ListBackupPolicies', { service_id: OVER }]
]

t.test('the names a create gives are bounded (backup, database, collections); names passed along are not', async (t) => {
  t.equal(MAX_NAME_LENGTH, 256)
  // A backup carries its database and collection names in every list it appears in.
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, db_name: OVER }), { field: 'db_name', message: `db_name ${TOO_LONG}` })
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, collection_names: ['docs', OVER] }),
    { field: 'collection_names[1]', message: `collection_names[1] ${TOO_LONG}` })
  t.doesNotThrow(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, db_name: AT_LIMIT, collection_names: [AT_LIMIT] }), 'at the limit')
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, backup_name: OVER }),
    { code: 'VBGW_INVALID_ARGUMENT', statusCode: 400, field: 'backup_name', message: `backup_name ${TOO_LONG}` })
  t.doesNotThrow(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, backup_name: AT_LIMIT }), 'at the limit')
  t.doesNotThrow(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, backup_name: '€'.repeat(MAX_NAME_LENGTH) }), 'counted in characters, not bytes')
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, backup_name: OVER }, { name: (f) => `input.${f}` }),
    { field: 'input.backup_name', message: `input.backup_name ${TOO_LONG}` }, 'renamed like the other checks')
  for (const [method, change] of PASSED_ALONG) {
    t.doesNotThrow(() => validateRequest(method, { ...VALID[method], ...change }), `${method} ${Object.keys(change).join()}: any length`)
  }
  t.doesNotThrow(() => { checkServiceId(OVER); checkBackupName(OVER) })
  // The service a create names must stay reachable over REST: percent-encoded, within what a path takes.
  for (const method of ['CreateBackup', 'CreateBackupPolicy'] as const) {
    t.doesNotThrow(() => validateRequest(method, { ...VALID[method], service_id: 'n'.repeat(MAX_ID_LENGTH) }), `${method}: an ASCII service id of ${MAX_ID_LENGTH}`)
    t.doesNotThrow(() => validateRequest(method, { ...VALID[method], service_id: '€'.repeat(MAX_NAME_LENGTH) }), `${method}: ${MAX_ID_LENGTH} percent-encoded`)
    t.throws(() => validateRequest(method, { ...VALID[method], service_id: '€'.repeat(MAX_NAME_LENGTH + 1) }), {
      field: 'service_id',
      message: `service_id must be at most ${MAX_ID_LENGTH} characters long once percent-encoded, as a REST path holds it (this one takes ${MAX_ID_LENGTH + 9})`
    }, `${method}: one character more`)
  }
  t.doesNotThrow(() => validateRequest('ListBackups', { service_id: '€'.repeat(MAX_NAME_LENGTH + 1) }), 'a service only looked up is not judged so')
})

t.test('REST reaches a service a create named at the limit, percent-encoded', async (t) => {
  const { app } = await buildTestApp(t)
  const service = '€'.repeat(MAX_NAME_LENGTH)
  const created = await app.inject({ method: 'POST', url: '/graphql', headers: { ...AUTH, 'content-type': 'application/json' },
    payload: { query: 'mutation($s: ID!) { createBackup(input: { serviceId: $s, organizationId: "' + DEMO_ORG_ID + '", dbName: "db", collectionNames: ["c"], backupName: "b" }) { backup { name } } }', variables: { s: service } } })
  t.same(created.json(), { data: { createBackup: { backup: { name: 'b' } } } })
  const removed = await app.inject({ method: 'DELETE', url: `/v1/vbase/${encodeURIComponent(service)}/backup/b`, headers: AUTH })
  t.equal(removed.statusCode, 200, 'deleted over REST')
})

t.test('the router lets a path value at the limit through, percent-encoded in the worst case', async (t) => {
  // Three UTF-8 bytes per character, each written %XX.
  t.ok(MAX_PARAM_LENGTH >= encodeURIComponent('€'.repeat(MAX_NAME_LENGTH)).length, `${MAX_PARAM_LENGTH} chars`)
})

t.test('REST: a name at the limit is created and deleted; one past it is 400 before the upstream; longer names passed along reach it', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const create = (backupName: string): Promise<Response> => app.inject({
    method: 'POST',
    url: `/v1/vbase/${CATALOG}/backup`,
    headers: { ...AUTH, 'content-type': 'application/json' },
    payload: { organization_id: DEMO_ORG_ID, db_name: 'main', collection_names: ['docs'], backup_name: backupName }
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

  sim.resetCalls()
  const refused = await create(OVER)
  t.equal(refused.statusCode, 400)
  t.same([refused.json().code, refused.json().message], [3, `backup_name ${TOO_LONG}`])
  t.match(refused.json().details, [{ field_violations: [{ field: 'backup_name' }] }], 'the field, in details')
  t.equal(sim.callCount(), 0, 'no upstream call')

  // Longer names made elsewhere are the upstream's to judge: it answers, not the router or the validation.
  const long = 'x'.repeat(1000)
  t.equal((await remove(long)).statusCode, 404, 'a 1000-character backup name reaches the upstream (which has none)')
  const listed = await app.inject({ url: `/v1/vbase/${long}/backup`, headers: AUTH })
  t.same([listed.statusCode, listed.json()], [200, { backups: [] }], 'a 1000-character service id lists')
  t.equal(sim.callCount(), 2)
})

t.test('GraphQL: the same limit on a create, the same words, no upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const CREATE = 'mutation C($input: CreateBackupInput!) { createBackup(input: $input) { backup { name } } }'
  const input = { serviceId: CATALOG, organizationId: DEMO_ORG_ID, dbName: 'main', collectionNames: ['docs'] }

  const { body: ok } = await gql(app, CREATE, { variables: { input: { ...input, backupName: AT_LIMIT } } })
  t.notOk(ok.errors, 'a name at the limit is created')
  t.equal(ok.data.createBackup.backup.name, AT_LIMIT)

  sim.resetCalls()
  const { body } = await gql(app, CREATE, { variables: { input: { ...input, backupName: OVER } } })
  t.match(body.errors?.[0], { message: `input.backupName ${TOO_LONG}`, extensions: { field: 'input.backupName', grpcStatus: 'INVALID_ARGUMENT' } })
  t.equal(sim.callCount(), 0, 'no upstream call')
  const { body: listed } = await gql(app, 'query Q($id: ID!) { service(id: $id) { backups { totalCount } } }', { variables: { id: OVER } })
  t.same([listed.errors, listed.data?.service.backups.totalCount], [undefined, 0], 'a long service id is looked up')
})

t.test('every string of a request is at most MAX_ID_LENGTH long, names passed along too: VBase may quote them back on the shared channel', async (t) => {
  const LONGEST = 'n'.repeat(MAX_ID_LENGTH)
  const PAST = `${LONGEST}n`
  for (const [method, change, field] of [
    ['RestoreBackup', { backup_name: PAST }, 'backup_name'],
    ['RestoreBackup', { collection_names: ['docs', PAST] }, 'collection_names[1]'],
    ['DeleteBackup', { backup_name: PAST }, 'backup_name'],
    ['ListBackups', { service_id: PAST }, 'service_id'],
    ['CreateBackupPolicy', { schedule_cron: PAST }, 'schedule_cron']
  ] as Array<[MethodName, Record<string, unknown>, string]>) {
    t.throws(() => validateRequest(method, { ...VALID[method], ...change }), { field, message: `${field} must be at most ${MAX_ID_LENGTH} characters long` }, `${method} ${field}`)
  }
  t.doesNotThrow(() => validateRequest('RestoreBackup', { ...VALID.RestoreBackup, backup_name: LONGEST, collection_names: [LONGEST] }), 'at the limit: reachable')
})
