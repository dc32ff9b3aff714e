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
  ['CreateBackupPolicy', { schedule_cron: '61 * * * *' }, 'schedule_cron', /: minute 61 is out of range 0-59$/],
  // Values as the caller wrote them: croner counts months and days of the month from 0 inside, and quoted
  // its count ("Invalid value for month: 12" for month 13).
  ['CreateBackupPolicy', { schedule_cron: '0 0 * 13 *' }, 'schedule_cron', /^schedule_cron must be a five-field cron expression \(minute hour day-of-month month day-of-week\): month 13 is out of range 1-12$/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * 0 *' }, 'schedule_cron', /: month 0 is out of range 1-12$/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 0 * *' }, 'schedule_cron', /: day-of-month 0 is out of range 1-31$/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 1,32 * *' }, 'schedule_cron', /: day-of-month 32 is out of range 1-31$/],
  ['CreateBackupPolicy', { schedule_cron: '0 24 * * *' }, 'schedule_cron', /: hour 24 is out of range 0-23$/],
  ['UpdateBackupPolicy', { schedule_cron: '0 0 * * 0-9' }, 'schedule_cron', /: day-of-week 9 is out of range 0-7$/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * JAN-13 *' }, 'schedule_cron', /: month 13 is out of range 1-12$/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * DEC-JAN *' }, 'schedule_cron', /: month range "DEC-JAN" runs backwards; write the smaller value first$/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 5-2 * *' }, 'schedule_cron', /: day-of-month range "5-2" runs backwards/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * * 5-0' }, 'schedule_cron', /: day-of-week range "5-0" runs backwards/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * * SAT-MON' }, 'schedule_cron', /: day-of-week range "SAT-MON" runs backwards/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 */0 * *' }, 'schedule_cron', /: day-of-month "\*\/0" steps by 0$/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * */13 *' }, 'schedule_cron', /: month "\*\/13" steps by more than 12$/],
  ['CreateBackupPolicy', { schedule_cron: '' }, 'schedule_cron', /is required/],
  // Classic cron only: croner's extensions are refused, naming the field of the pattern at fault.
  ['CreateBackupPolicy', { schedule_cron: '0 0 L * *' }, 'schedule_cron', /^schedule_cron must be a five-field cron expression \(minute hour day-of-month month day-of-week\): day-of-month "L" is not classic cron/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 15W * *' }, 'schedule_cron', /day-of-month "15W" is not classic cron/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 ? * MON' }, 'schedule_cron', /day-of-month "\?" is not classic cron/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 29 2 +0#5,1#5,2#5' }, 'schedule_cron', /day-of-week "\+0#5,1#5,2#5" is not classic cron/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * * 1#2' }, 'schedule_cron', /day-of-week "1#2" is not classic cron/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * * 5L' }, 'schedule_cron', /day-of-week "5L" is not classic cron/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * * MONDAY' }, 'schedule_cron', /day-of-week "MONDAY" is not classic cron/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 1 * MON#1' }, 'schedule_cron', /day-of-week "MON#1" is not classic cron/],
  ['CreateBackupPolicy', { schedule_cron: '0 0 * MON * ' }, 'schedule_cron', /month "MON" is not classic cron/],
  ['CreateBackupPolicy', { schedule_cron: '5/15 * * * *' }, 'schedule_cron', /minute "5\/15" is not classic cron/],
  ['UpdateBackupPolicy', { schedule_cron: '0 0 LW * *' }, 'schedule_cron', /day-of-month "LW" is not classic cron/],
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
  // Classic cron: numbers, *, ranges, lists, steps; month and weekday names in any case, in ranges and lists too.
  for (const schedule_cron of ['*/15 * * * *', '0-30/10 8-18 * * 1-5', '0 0 1,15 * *', '0 2 * * 0,7', '0 0 * * MON', '30 4 * * mon-fri',
    '0 0 * * FRI-SUN', '0 0 1 JAN,jul *', '0 0 1 jan-mar/2 sat', '\t0  0 * * *\n',
    // Each field's edges, and the largest step each takes.
    '0-59 0-23 1-31 1-12 0-7', '59 23 31 12 7', '*/59 */23 */31 */12 */7', '00 00 01 01 0', '0 0 * * SAT-SUN', '0 0 * * sun-sun']) {
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

t.test('every string of every request is well-formed Unicode: a lone surrogate is named, wherever it is', async (t) => {
  // JSON can spell a lone surrogate; UTF-8, and so a proto3 string, cannot hold one.
  const LONE = ['x\ud800y', '\udfff', 'ab\ud83d']
  let cases = 0
  for (const [method, valid] of Object.entries(VALID) as Array<[MethodName, Record<string, unknown>]>) {
    for (const [field, value] of Object.entries(valid)) {
      const at = Array.isArray(value) ? value.map((_, i) => [`${field}[${i}]`, i] as const) : typeof value === 'string' ? [[field, -1] as const] : []
      for (const [shown, i] of at) {
        const bad = LONE[cases++ % LONE.length] as string
        const request = { ...valid, [field]: i < 0 ? bad : (value as string[]).map((v, j) => j === i ? bad : v) }
        t.throws(() => validateRequest(method, request), { code: 'VBGW_INVALID_ARGUMENT', field: shown, message: `${shown} must be well-formed Unicode text: it holds a lone UTF-16 surrogate (such as \\ud800), which has no UTF-8 form` }, `${method} ${shown}`)
      }
    }
  }
  t.ok(cases >= 20, `${cases} string fields checked`)
  // Renamed like any other error, and on the lookups that are no method's request.
  t.throws(() => validateRequest('RestoreBackup', { ...VALID.RestoreBackup, collection_names: ['docs', '\udc00'] }, { name: (f) => `input.${f}` }),
    { field: 'input.collection_names[1]', message: /^input\.collection_names\[1\] must be well-formed Unicode/ })
  t.throws(() => checkServiceId('svc\ud800', 'serviceId'), { field: 'serviceId', message: /^serviceId must be well-formed Unicode/ })
  t.throws(() => checkBackupName('\ud800', 'name'), { field: 'name', message: /^name must be well-formed Unicode/ })
  // A surrogate pair is one character: text outside the BMP passes.
  t.doesNotThrow(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, backup_name: 'b-\ud83d\ude00', collection_names: ['\u{1F4C1}'] }))
})

t.test('the caller may rename fields', async (t) => {
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, collection_names: ['a', ' '] }, { name: (f) => `input.${f}` }),
    { field: 'input.collection_names[1]', message: /^input\.collection_names\[1\] must not be empty/ })
})

t.test('compileCron is five-field UTC', async (t) => {
  t.same(compileCron('0 2 * * *').nextRuns(2, new Date('2026-01-01T03:00:00Z')).map((d) => d.toISOString()),
    ['2026-01-02T02:00:00.000Z', '2026-01-03T02:00:00.000Z'])
  t.throws(() => compileCron('* * * * * *'), RangeError)
  t.throws(() => compileCron('0 0 L * *'), RangeError)
  // Names read as classic cron reads them; a day restricted in both day fields fires on either (cron's OR).
  t.same(compileCron('0 0 1 * FRI').nextRuns(3, new Date('2026-01-31T12:00:00Z')).map((d) => d.toISOString()),
    ['2026-02-01T00:00:00.000Z', '2026-02-06T00:00:00.000Z', '2026-02-13T00:00:00.000Z'], 'Sunday the 1st, then Fridays')
  t.same(compileCron('0 0 1 jan-mar/2 *').nextRuns(2, new Date('2026-01-01T00:00:00Z')).map((d) => d.toISOString()),
    ['2026-03-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'])
  // A day field beginning with `*` is unrestricted to classic cron, even stepped: the two then AND.
  const days = (expr: string, n: number): string[] => compileCron(expr).nextRuns(n, new Date('2026-11-27T12:00:00Z')).map((d) => d.toISOString().slice(0, 10))
  t.same(days('0 0 */2 * 1', 3), ['2026-12-07', '2026-12-21', '2027-01-11'], 'Mondays on odd days of the month, not every other day and every Monday')
  t.same(days('0 0 1-7 * */7', 2), ['2026-12-06', '2027-01-03'], 'the first Sunday of each month')
  t.same(days('0 0 * * */2', 3), ['2026-11-28', '2026-11-29', '2026-12-01'], 'Sat, Sun, Tue: days 6, 0, 2')
  t.same(days('0 0 13 * 5', 3), ['2026-12-04', '2026-12-11', '2026-12-13'], 'both restricted: either (Fridays, and the 13th)')
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
