/**
 * src/upstream/validate.ts, table-driven over the nine methods: a valid
 * request passes, each bad field is named (proto name by default, renamed
 * when asked). Lives here because the GraphQL work introduced the module;
 * it belongs in test/upstream/ once that folder's owner takes it.
 */
import t from 'tap'
import type { MethodName } from '../../src/upstream/contract.js'
import { checkBackupName, checkPolicyId, checkServiceId, compileCron, validateRequest } from '../../src/upstream/validate.js'

const ORG = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
const POLICY = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'

const VALID: Record<MethodName, Record<string, unknown>> = {
  CreateBackup: { service_id: 'svc', organization_id: ORG, db_name: 'db', collection_names: ['docs'], backup_name: 'b1' },
  ListBackups: { service_id: 'svc' },
  ListBackupByOrg: { organization_id: ORG },
  RestoreBackup: { service_id: 'svc', organization_id: ORG, backup_name: 'b1', db_name: 'db', collection_names: ['docs'] },
  DeleteBackup: { service_id: 'svc', backup_name: 'b1' },
  CreateBackupPolicy: { service_id: 'svc', organization_id: ORG, schedule_cron: '0 0 * * *', retention_count: 7 },
  UpdateBackupPolicy: { service_id: 'svc', policy_id: POLICY, schedule_cron: '*/15 * * * *', retention_count: '3', is_active: false },
  DeleteBackupPolicy: { service_id: 'svc', policy_id: POLICY },
  ListBackupPolicies: { service_id: 'svc' }
}

/** [method, change to the valid request, field named, message pattern]. */
const BAD: Array<[MethodName, Record<string, unknown>, string, RegExp]> = [
  ['CreateBackup', { service_id: '' }, 'service_id', /is required/],
  ['CreateBackup', { service_id: undefined }, 'service_id', /is required/],
  ['CreateBackup', { organization_id: 'acme' }, 'organization_id', /must be a UUID/],
  ['CreateBackup', { db_name: '  ' }, 'db_name', /is required/],
  ['CreateBackup', { collection_names: [] }, 'collection_names', /at least one collection/],
  ['CreateBackup', { collection_names: undefined }, 'collection_names', /at least one collection/],
  ['CreateBackup', { collection_names: 'docs' }, 'collection_names', /list/],
  ['CreateBackup', { collection_names: ['docs', ''] }, 'collection_names[1]', /must not be empty/],
  ['CreateBackup', { backup_name: '' }, 'backup_name', /omit it/],
  ['ListBackups', { service_id: '' }, 'service_id', /is required/],
  ['ListBackupByOrg', { organization_id: '7c9e6679' }, 'organization_id', /UUID/],
  ['RestoreBackup', { organization_id: '' }, 'organization_id', /is required/],
  ['RestoreBackup', { backup_name: '' }, 'backup_name', /is required/],
  ['RestoreBackup', { db_name: undefined }, 'db_name', /is required/],
  ['RestoreBackup', { collection_names: [] }, 'collection_names', /at least one/],
  ['DeleteBackup', { backup_name: '' }, 'backup_name', /is required/],
  ['CreateBackupPolicy', { schedule_cron: 'every day' }, 'schedule_cron', /five-field cron/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 0 * * *' }, 'schedule_cron', /five-field cron/],
  ['CreateBackupPolicy', { schedule_cron: '@daily' }, 'schedule_cron', /five-field cron/],
  ['CreateBackupPolicy', { schedule_cron: '61 * * * *' }, 'schedule_cron', /minute/],
  ['CreateBackupPolicy', { schedule_cron: '' }, 'schedule_cron', /is required/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 31 2 *' }, 'schedule_cron', /^schedule_cron never fires: no date matches/],
  ['CreateBackupPolicy', { schedule_cron: '59 23 31 4,6,9,11 *' }, 'schedule_cron', /never fires/],
  ['UpdateBackupPolicy', { schedule_cron: '0 0 30 2 *' }, 'schedule_cron', /never fires/],
  ['CreateBackupPolicy', { retention_count: 0 }, 'retention_count', /at least 1/],
  ['CreateBackupPolicy', { retention_count: 1.5 }, 'retention_count', /integer/],
  ['CreateBackupPolicy', { retention_count: undefined }, 'retention_count', /is required/],
  ['CreateBackupPolicy', { is_active: 'yes' }, 'is_active', /true or false/],
  ['UpdateBackupPolicy', { policy_id: 'p-1' }, 'policy_id', /UUID/],
  ['UpdateBackupPolicy', { organization_id: 'acme' }, 'organization_id', /UUID/],
  ['UpdateBackupPolicy', { retention_count: -1 }, 'retention_count', /at least 1/],
  ['DeleteBackupPolicy', { policy_id: '' }, 'policy_id', /is required/],
  ['ListBackupPolicies', { service_id: null }, 'service_id', /is required/]
]

t.test('valid requests pass', async (t) => {
  for (const [method, request] of Object.entries(VALID)) {
    t.doesNotThrow(() => validateRequest(method as MethodName, request), method)
  }
  // Optional on update: omitted, null or '' all mean "not given".
  for (const organization_id of [undefined, null, '']) {
    t.doesNotThrow(() => validateRequest('UpdateBackupPolicy', { ...VALID.UpdateBackupPolicy, organization_id }))
  }
  // Rare is not never: 29 February fires in leap years; a day-of-week with an impossible day
  // of month fires on that weekday (cron's OR of the two day fields).
  for (const schedule_cron of ['0 0 29 2 *', '0 0 31 2 1', '0 0 31 1-12 *']) {
    t.doesNotThrow(() => validateRequest('CreateBackupPolicy', { ...VALID.CreateBackupPolicy, schedule_cron }), schedule_cron)
  }
  // Service ids are free-form.
  t.doesNotThrow(() => validateRequest('ListBackups', { service_id: 'svc/with spaces & ünïcode' }))
})

t.test('each bad field is rejected with its name', async (t) => {
  for (const [method, change, field, message] of BAD) {
    const request = { ...VALID[method], ...change }
    t.throws(() => validateRequest(method, request), { code: 'VBGW_INVALID_ARGUMENT', statusCode: 400, field, message }, `${method} ${field}`)
  }
})

t.test('the caller may rename fields', async (t) => {
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, collection_names: ['a', ' '] }, { name: (f) => `input.${f}` }),
    { field: 'input.collection_names[1]', message: /^input\.collection_names\[1\] must not be empty/ })
})

t.test('compileCron is five-field UTC', async (t) => {
  t.same(compileCron('0 2 * * *').nextRuns(2, new Date('2026-01-01T03:00:00Z')).map((d) => d.toISOString()),
    ['2026-01-02T02:00:00.000Z', '2026-01-03T02:00:00.000Z'])
  t.throws(() => compileCron('* * * * * *'), RangeError)
})

t.test('the named checks judge one value, named as the caller wrote it', async (t) => {
  checkServiceId('svc')
  checkBackupName('b1')
  checkPolicyId(POLICY.toUpperCase())
  t.throws(() => checkServiceId(' ', 'serviceId'), { code: 'VBGW_INVALID_ARGUMENT', field: 'serviceId', message: 'serviceId is required' })
  t.throws(() => checkBackupName(undefined), { field: 'backup_name', message: 'backup_name is required' })
  t.throws(() => checkPolicyId('policy-1', 'id'), { field: 'id', message: 'id must be a UUID' })
  t.throws(() => checkPolicyId(42), { field: 'policy_id', message: 'policy_id must be a string' })
  // validateRequest is built from them: the same words.
  t.throws(() => validateRequest('DeleteBackupPolicy', { service_id: 'svc', policy_id: 'policy-1' }), { field: 'policy_id', message: 'policy_id must be a UUID' })
})
