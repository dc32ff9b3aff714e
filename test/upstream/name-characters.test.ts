/**
 * What a create names is free-form but plain (src/upstream/validate.ts): no
 * control characters (C0 with NUL, tab, CR, LF; DEL; C1), no line or
 * paragraph separators, no bidi controls, no whitespace at either end; and
 * a request names at most MAX_COLLECTION_NAMES collections. A security QA
 * pass saw all of it accepted and forwarded, 200,000 collections included.
 * Each is INVALID_ARGUMENT naming the field and the character at fault, on
 * REST and GraphQL alike, before any upstream call. Names only passed along
 * (lists, lookups, restore, delete) stay free-form, so one another client
 * made can still be read and deleted. Free text (the cron) and UUID fields
 * keep their own rules.
 */
import t from 'tap'
import type { MethodName } from '../../src/upstream/contract.js'
import { checkBackupName, checkServiceId, MAX_COLLECTION_NAMES, validateRequest } from '../../src/upstream/validate.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { gql } from '../graphql/helpers.js'

const [CATALOG] = DEMO_SERVICE_IDS
const AUTH = { authorization: `Bearer ${DEV_TOKEN}` }
const ORG = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
const POLICY = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'

const VALID: Record<MethodName, Record<string, unknown>> = {
  CreateBackup: { service_id: 'svc', organization_id: ORG, db_name: 'db', collection_names: ['docs', 'logs'], backup_name: 'b1' },
  ListBackups: { service_id: 'svc' },
  ListBackupByOrg: { organization_id: ORG },
  RestoreBackup: { service_id: 'svc', organization_id: ORG, backup_name: 'b1', db_name: 'db', collection_names: ['docs', 'logs'] },
  DeleteBackup: { service_id: 'svc', backup_name: 'b1' },
  CreateBackupPolicy: { service_id: 'svc', organization_id: ORG, schedule_cron: '0 0 * * *', retention_count: 7 },
  UpdateBackupPolicy: { service_id: 'svc', policy_id: POLICY, schedule_cron: '0 0 * * *', retention_count: 7 },
  DeleteBackupPolicy: { service_id: 'svc', policy_id: POLICY },
  ListBackupPolicies: { service_id: 'svc' }
}

/** Every id or name field of every method, as [method, field, shown]; collection names by index. */
const ALL_NAME_FIELDS: Array<[MethodName, string, string]> = []
for (const [method, request] of Object.entries(VALID) as Array<[MethodName, Record<string, unknown>]>) {
  for (const field of ['service_id', 'db_name', 'backup_name']) {
    if (field in request) ALL_NAME_FIELDS.push([method, field, field])
  }
  if ('collection_names' in request) ALL_NAME_FIELDS.push([method, 'collection_names', 'collection_names[1]'])
}
/** The names a create gives a new backup or policy: held plain. */
const CREATED = new Set<MethodName>(['CreateBackup', 'CreateBackupPolicy'])
const NAME_FIELDS = ALL_NAME_FIELDS.filter(([method]) => CREATED.has(method))
/** The names only passed along, to what exists: free-form. */
const PASSED_ALONG = ALL_NAME_FIELDS.filter(([method]) => !CREATED.has(method))

/** `request` with `shown` (a field, or `collection_names[1]`) set to `value`. */
function withValue (method: MethodName, field: string, value: string): Record<string, unknown> {
  const request = VALID[method]
  return { ...request, [field]: field === 'collection_names' ? ['docs', value] : value }
}

/** [character, the class the caller is told of]: every edge of every range, and the usual suspects. */
const FORBIDDEN: Array<[string, string]> = [
  ...['\u0000', '\t', '\n', '\u000b', '\r', '\u001b', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f'].map((c) => [c, 'control characters'] as [string, string]),
  ...['\u2028', '\u2029'].map((c) => [c, 'line or paragraph separators'] as [string, string]),
  ...['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']
    .map((c) => [c, 'bidi control characters'] as [string, string])
]

const code = (c: string): string => `U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`

t.test('what a create names refuses control, line-separator and bidi characters, naming the class, the character and where', async (t) => {
  t.equal(NAME_FIELDS.length, 5, 'the service, database, backup and collection names of a create, and the service of a policy')
  for (const [method, field, shown] of NAME_FIELDS) {
    for (const [c, what] of FORBIDDEN) {
      t.throws(() => validateRequest(method, withValue(method, field, `ab${c}cd`)),
        { code: 'VBGW_INVALID_ARGUMENT', statusCode: 400, field: shown, message: `${shown} must not contain ${what} (found ${code(c)} at index 2)` },
        `${method} ${shown} ${code(c)}`)
    }
  }
  // The first character at fault is named, whatever its class; indexes count UTF-16 code units, as lengths do.
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, service_id: '\u{1F600}\u202e\u0000' }),
    { message: 'service_id must not contain bidi control characters (found U+202E at index 2)' })
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, db_name: '\u0000' }), { message: 'db_name must not contain control characters (found U+0000 at index 0)' },
    'a lone NUL is no blank: it is named')
})

t.test('what a create names refuses whitespace at either end; inside, and beside the forbidden ranges, text stays free-form', async (t) => {
  for (const [method, field, shown] of NAME_FIELDS) {
    for (const [value, found] of [[' ab', 'U+0020 at index 0'], ['ab ', 'U+0020 at index 2'], ['\u00a0ab', 'U+00A0 at index 0'],
      ['ab\u3000', 'U+3000 at index 2']]) {
      t.throws(() => validateRequest(method, withValue(method, field, value as string)),
        { code: 'VBGW_INVALID_ARGUMENT', field: shown, message: `${shown} must not begin or end with whitespace (found ${found})` },
        `${method} ${shown} ${JSON.stringify(value)}`)
    }
  }
  // A tab or line break at an end is a control character first.
  t.throws(() => validateRequest('CreateBackupPolicy', { ...VALID.CreateBackupPolicy, service_id: 'svc\n' }), { message: 'service_id must not contain control characters (found U+000A at index 3)' })
  // The neighbours of each range (U+007E, U+00A0, U+061B, U+061D, U+200D, U+2010, U+202F, U+2065), and names in other scripts.
  const FREE = ['nightly copy', 'a~', 'a\u00a0b', 'a\u061bb\u061d', 'a\u200db\u2010', 'a\u202fb', 'a\u2065b',
    'caf\u00e9', '\u0627\u0644\u0627\u0633\u0645', '\u{1F469}\u200d\u{1F4BB}']
  for (const value of FREE) {
    for (const [method, field, shown] of NAME_FIELDS) {
      t.doesNotThrow(() => validateRequest(method, withValue(method, field, value)), `${method} ${shown} ${JSON.stringify(value)}`)
    }
  }
})

t.test('what a create names refuses invisible characters: the other format characters and the Hangul fillers; the joiners only at an end', async (t) => {
  const INVISIBLE = ['\u00ad', '\u180e', '\u200b', '\u2060', '\u2064', '\ufeff', '\u{e0041}', '\u{e007f}', '\u115f', '\u1160', '\u3164', '\uffa0']
  for (const [method, field, shown] of NAME_FIELDS) {
    for (const c of INVISIBLE) {
      for (const [value, index] of [[`ab${c}cd`, 2], [`${c}ab`, 0], [`ab${c}`, 2]] as const) {
        t.throws(() => validateRequest(method, withValue(method, field, value)),
          { code: 'VBGW_INVALID_ARGUMENT', field: shown, message: `${shown} must not contain invisible characters (found ${code(c)} at index ${index})` },
          `${method} ${shown} ${JSON.stringify(value)}`)
      }
    }
    for (const [value, found] of [['\u200dab', 'U+200D at index 0'], ['ab\u200c', 'U+200C at index 2']]) {
      t.throws(() => validateRequest(method, withValue(method, field, value as string)),
        { field: shown, message: `${shown} must not begin or end with invisible characters (found ${found})` }, `${method} ${shown} ${JSON.stringify(value)}`)
    }
    // What the QA pass sent: `svc` and `svc<U+200B>`, two services that read the same.
    t.throws(() => validateRequest(method, withValue(method, field, 'svc\u200b')), { message: `${shown} must not contain invisible characters (found U+200B at index 3)` })
    t.doesNotThrow(() => validateRequest(method, withValue(method, field, '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645')), 'a joiner inside Persian text')
  }
})

t.test('the rule is for ids and names only: the cron keeps its own, UUIDs theirs', async (t) => {
  t.doesNotThrow(() => validateRequest('CreateBackupPolicy', { ...VALID.CreateBackupPolicy, schedule_cron: '\t0  0 * * *\n' }), 'a cron is free text')
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, organization_id: `${ORG}\u0000` }), { field: 'organization_id', message: 'organization_id must be a UUID' })
  t.throws(() => validateRequest('DeleteBackupPolicy', { ...VALID.DeleteBackupPolicy, policy_id: ` ${POLICY}` }), { field: 'policy_id', message: 'policy_id must be a UUID' })
})

t.test('renamed like every other check', async (t) => {
  t.throws(() => validateRequest('CreateBackup', withValue('CreateBackup', 'collection_names', 'x\u202e'), { name: (f) => `input.${f}` }),
    { field: 'input.collection_names[1]', message: 'input.collection_names[1] must not contain bidi control characters (found U+202E at index 1)' })
})

t.test('names only passed along stay free-form: what another client made can be listed, looked up, restored and deleted', async (t) => {
  t.equal(PASSED_ALONG.length, 10)
  for (const [method, field, shown] of PASSED_ALONG) {
    for (const value of ['ab\u0000cd', 'ab\ncd', '\u202eab', ' ab', 'ab\u3000']) {
      t.doesNotThrow(() => validateRequest(method, withValue(method, field, value)), `${method} ${shown} ${JSON.stringify(value)}`)
    }
  }
  t.doesNotThrow(() => checkServiceId('svc\r\n', 'serviceId'))
  t.doesNotThrow(() => checkBackupName('b1 ', 'name'))
})

t.test(`collection_names holds at most ${MAX_COLLECTION_NAMES} names, counted before any is read`, async (t) => {
  t.equal(MAX_COLLECTION_NAMES, 10_000)
  const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `c${i}`)
  for (const method of ['CreateBackup', 'RestoreBackup'] as const) {
    t.doesNotThrow(() => validateRequest(method, { ...VALID[method], collection_names: names(MAX_COLLECTION_NAMES) }), `${method}: at the limit`)
    t.throws(() => validateRequest(method, { ...VALID[method], collection_names: names(MAX_COLLECTION_NAMES + 1) }),
      { code: 'VBGW_INVALID_ARGUMENT', statusCode: 400, field: 'collection_names', message: `collection_names may hold at most ${MAX_COLLECTION_NAMES} names; this one holds ${MAX_COLLECTION_NAMES + 1}` }, `${method}: one past it`)
  }
  // What the QA pass sent; a bad name in it is not what is reported: the count comes first.
  const huge = ['\ud800', ...names(199_999)]
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, collection_names: huge }, { name: (f) => `input.${f}` }),
    { field: 'input.collection_names', message: `input.collection_names may hold at most ${MAX_COLLECTION_NAMES} names; this one holds 200000` })
})

t.test('REST: a create naming a service, in its path, or a backup, in its body, with a control, bidi or edge-space character is a 400 before the upstream; other paths pass it along', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' }
  const BACKUP = { organization_id: DEMO_ORG_ID, db_name: 'main', collection_names: ['docs'] }
  const POLICY_BODY = { organization_id: DEMO_ORG_ID, schedule_cron: '0 0 * * *', retention_count: 7 }
  /** [url, body, field, message after the field]. */
  const CREATES: Array<[string, object, string, string]> = [
    ['/v1/vbase/svc%00x/backup', BACKUP, 'service_id', 'must not contain control characters (found U+0000 at index 3)'],
    ['/v1/vbase/svc%0A/backup', BACKUP, 'service_id', 'must not contain control characters (found U+000A at index 3)'],
    ['/v1/vbase/%20svc/backup/policy', POLICY_BODY, 'service_id', 'must not begin or end with whitespace (found U+0020 at index 0)'],
    ['/v1/vbase/svc%E2%80%A8/backup/policy', POLICY_BODY, 'service_id', 'must not contain line or paragraph separators (found U+2028 at index 3)'],
    [`/v1/vbase/${CATALOG}/backup`, { ...BACKUP, backup_name: '\u202enightly' }, 'backup_name', 'must not contain bidi control characters (found U+202E at index 0)'],
    [`/v1/vbase/${CATALOG}/backup`, { ...BACKUP, backup_name: 'nightly\n' }, 'backup_name', 'must not contain control characters (found U+000A at index 7)']
  ]
  for (const [url, payload, field, problem] of CREATES) {
    sim.resetCalls()
    const res = await app.inject({ method: 'POST', url, headers: JSON_AUTH, payload })
    t.equal(res.statusCode, 400, `POST ${url}`)
    t.match(res.json(), { code: 3, message: `${field} ${problem}`, details: [{ field_violations: [{ field }] }] })
    t.equal(sim.callCount(), 0, 'no upstream call')
  }

  sim.resetCalls()
  const many = await app.inject({
    method: 'POST',
    url: `/v1/vbase/${CATALOG}/backup`,
    headers: JSON_AUTH,
    payload: { ...BACKUP, collection_names: Array.from({ length: MAX_COLLECTION_NAMES + 1 }, (_, i) => `c${i}`) }
  })
  t.equal(many.statusCode, 400)
  t.match(many.json(), { code: 3, message: `collection_names may hold at most ${MAX_COLLECTION_NAMES} names; this one holds ${MAX_COLLECTION_NAMES + 1}`, details: [{ field_violations: [{ field: 'collection_names' }] }] })
  t.equal(sim.callCount(), 0, 'no upstream call')

  // Names that exist or may: the upstream judges them.
  const listed = await app.inject({ url: '/v1/vbase/svc%00x/backup', headers: AUTH })
  t.same([listed.statusCode, listed.json()], [200, { backups: [] }])
  const deleted = await app.inject({ method: 'DELETE', url: `/v1/vbase/${CATALOG}/backup/catalog-nightly-001%0D`, headers: AUTH })
  t.equal(deleted.statusCode, 404, 'the upstream has no such backup')
  const spaced = await app.inject({ url: '/v1/vbase/svc%20with%20spaces/backup', headers: AUTH })
  t.same([spaced.statusCode, spaced.json()], [200, { backups: [] }], 'inner spaces are names as any other')
  t.equal(sim.callCount(), 3)
})

t.test('GraphQL: the same words, as BAD_USER_INPUT on the argument, with no upstream call; a lookup passes the name along', async (t) => {
  const { app, sim } = await buildTestApp(t)
  sim.resetCalls()
  const CREATE = 'mutation C($input: CreateBackupInput!) { createBackup(input: $input) { backup { name } } }'
  const input = { serviceId: CATALOG, organizationId: DEMO_ORG_ID, dbName: 'main', collectionNames: ['docs'] }

  const { body: control } = await gql(app, CREATE, { variables: { input: { ...input, collectionNames: ['docs', 'lo\u0000gs'] } } })
  t.same(control.data, { createBackup: null })
  t.match(control.errors, [{
    message: 'input.collectionNames[1] must not contain control characters (found U+0000 at index 2)',
    extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT', field: 'input.collectionNames[1]' }
  }])

  const { body: many } = await gql(app, CREATE, { variables: { input: { ...input, collectionNames: Array.from({ length: MAX_COLLECTION_NAMES + 1 }, (_, i) => `c${i}`) } } })
  t.match(many.errors, [{
    message: `input.collectionNames may hold at most ${MAX_COLLECTION_NAMES} names; this one holds ${MAX_COLLECTION_NAMES + 1}`,
    extensions: { code: 'BAD_USER_INPUT', field: 'input.collectionNames' }
  }])

  const { body: edge } = await gql(app, CREATE, { variables: { input: { ...input, dbName: 'main ' } } })
  t.match(edge.errors, [{ message: 'input.dbName must not begin or end with whitespace (found U+0020 at index 4)', extensions: { code: 'BAD_USER_INPUT', field: 'input.dbName' } }])

  const { body: policy } = await gql(app, 'mutation P($input: CreateBackupPolicyInput!) { createBackupPolicy(input: $input) { policy { id } } }', {
    variables: { input: { serviceId: 'svc\u2066', organizationId: DEMO_ORG_ID, scheduleCron: '0 0 * * *', retentionCount: 7 } }
  })
  t.match(policy.errors, [{ message: 'input.serviceId must not contain bidi control characters (found U+2066 at index 3)', extensions: { code: 'BAD_USER_INPUT', field: 'input.serviceId' } }])
  t.equal(sim.callCount(), 0, 'no upstream call')

  const { body: lookups } = await gql(app, 'query Q($id: ID!) { service(id: $id) { id backups { totalCount } } }', { variables: { id: 'svc\n' } })
  t.same(lookups, { data: { service: { id: 'svc\n', backups: { totalCount: 0 } } } })
  t.equal(sim.callCount(), 1)
})

t.test('a list shared by many requests (one variable under many aliases) is judged once, with the same verdict after', async (t) => {
  let reads = 0
  const names = Array.from({ length: 1000 }, (_, i) => `c${i}`)
  const counted = (list: string[]): string[] => new Proxy(list, {
    get (target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++
      return Reflect.get(target, key, receiver) as unknown
    }
  })
  const good = counted(names)
  for (let i = 0; i < 50; i++) t.doesNotThrow(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, collection_names: good }))
  t.ok(reads <= 3 * names.length, `${reads} reads of a 1000-name list for 50 requests: each check went through it once`)

  reads = 0
  const bad = counted([...names, 'nul\u0000'])
  const asInput = (f: string): string => `input.${f}`
  for (let i = 0; i < 50; i++) {
    t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, collection_names: bad }, { name: asInput }),
      { field: 'input.collection_names[1000]', message: 'input.collection_names[1000] must not contain control characters (found U+0000 at index 3)' })
  }
  t.ok(reads <= 3 * 1001, `${reads} reads: the refusal too is judged once`)
  t.throws(() => validateRequest('CreateBackup', { ...VALID.CreateBackup, collection_names: bad }),
    { field: 'collection_names[1000]', message: 'collection_names[1000] must not contain control characters (found U+0000 at index 3)' },
    'another renamer names the field its own way')
})
