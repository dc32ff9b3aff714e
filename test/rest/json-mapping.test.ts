import t from 'tap'
import { contract } from '../../src/upstream/contract.js'
import { fromJson, jsonName, timestampFromJson, timestampToJson, toJson } from '../../src/rest/json-mapping.js'

const Backup = contract.root.lookupType('dodil.vbase.v1.Backup')
const CreateBackupRequest = contract.root.lookupType('dodil.vbase.v1.CreateBackupRequest')
const UpdateBackupPolicyRequest = contract.root.lookupType('dodil.vbase.v1.UpdateBackupPolicyRequest')
const def = contract.method('ListBackups').definition

/** A Backup exactly as the upstream client hands it over: encoded, then decoded with the loader options. */
function decodedBackup (fields: Record<string, unknown>): Record<string, unknown> {
  const bytes = def.responseSerialize({ backups: [fields] })
  return (def.responseDeserialize(bytes) as { backups: Array<Record<string, unknown>> }).backups[0] as Record<string, unknown>
}

t.test('responses: proto names, int64 as string, enum names, RFC 3339, unset optionals omitted', async (t) => {
  const value = decodedBackup({
    name: 'b1', service_id: 's', status: 'RUNNING', size_bytes: '9007199254740993',
    created_at: { seconds: 1778486400, nanos: 250_000_000 }
  })
  t.same(toJson(Backup, value, 'proto'), {
    name: 'b1',
    service_id: 's',
    organization_id: '',
    db_name: '',
    collection_names: [],
    status: 'RUNNING',
    created_at: '2026-05-11T08:00:00.250Z',
    size_bytes: '9007199254740993',
    error_message: ''
  })
  const out = toJson(Backup, value, 'proto')
  t.notOk('completed_at' in out, 'an unset message is omitted')
  t.notOk('policy_id' in out, 'an unset optional is omitted')
  t.equal(toJson(Backup, decodedBackup({ policy_id: '' }), 'proto').policy_id, '', 'a set optional is kept, even when empty')
})

t.test('responses: lowerCamelCase names when configured', async (t) => {
  const out = toJson(Backup, decodedBackup({ service_id: 's', policy_id: 'p', completed_at: { seconds: 0 } }), 'json')
  // created_at is unset here, so it is the one key missing.
  t.same(Object.keys(out).sort(), ['collectionNames', 'completedAt', 'dbName', 'errorMessage', 'name', 'organizationId', 'policyId', 'serviceId', 'sizeBytes', 'status'])
  t.equal(out.completedAt, '1970-01-01T00:00:00Z')
  t.equal(out.serviceId, 's')
})

t.test('responses: enum numbers and raw longs still render per the mapping', async (t) => {
  const out = toJson(Backup, { status: 3, size_bytes: 42 }, 'proto')
  t.equal(out.status, 'COMPLETED')
  t.equal(out.size_bytes, '42')
  t.equal(out.name, '', 'a missing plain scalar shows its zero value')
})

t.test('timestamps print 0, 3, 6 or 9 fractional digits', async (t) => {
  const rows: Array<[number, string]> = [
    [0, '2026-05-11T08:00:00Z'],
    [1_000_000, '2026-05-11T08:00:00.001Z'],
    [1_500, '2026-05-11T08:00:00.000001500Z'],
    [120_000, '2026-05-11T08:00:00.000120Z']
  ]
  for (const [nanos, expected] of rows) t.equal(timestampToJson({ seconds: '1778486400', nanos }), expected)
})

t.test('JSON names follow protoc', async (t) => {
  t.equal(jsonName(CreateBackupRequest.fields.collection_names!), 'collectionNames')
  t.equal(jsonName(UpdateBackupPolicyRequest.fields.is_active!), 'isActive')
})

t.test('requests: proto names and JSON names bind to proto names', async (t) => {
  const body = { service_id: 's', organizationId: 'o', db_name: 'd', collectionNames: ['a', 'b'], backup_name: null }
  t.same(fromJson(CreateBackupRequest, body), { service_id: 's', organization_id: 'o', db_name: 'd', collection_names: ['a', 'b'] })
  t.same(fromJson(UpdateBackupPolicyRequest, { retentionCount: '7', isActive: false }), { retention_count: 7, is_active: false },
    'int32 accepts a decimal string; an explicit false is kept')
  // As protojson: a string holding a JSON number, integral.
  for (const [text, value] of [['7.0', 7], ['1e1', 10], ['-0', -0], ['2147483647', 2147483647]] as const) {
    t.same(fromJson(UpdateBackupPolicyRequest, { retention_count: text }), { retention_count: value }, `"${text}" reads as ${value}`)
  }
})

/** [description, body, field named in the error] */
const bad: Array<[string, Record<string, unknown>, string]> = [
  ['unknown field', { service_id: 's', colection_names: ['x'] }, 'colection_names'],
  ['both names for one field', { service_id: 's', serviceId: 's' }, 'serviceId'],
  ['string given a number', { service_id: 42 }, 'service_id'],
  ['repeated given a string', { collection_names: 'docs' }, 'collection_names'],
  ['repeated element of the wrong type', { collection_names: ['a', 1] }, 'collection_names[1]'],
  ['repeated element null', { collection_names: [null] }, 'collection_names[0]'],
  // Named as the caller wrote it.
  ['a JSON-named string given a number', { dbName: 5 }, 'dbName'],
  ['a JSON-named repeated element of the wrong type', { collectionNames: ['a', 2] }, 'collectionNames[1]']
]
for (const [what, body, field] of bad) {
  t.test(`requests: ${what} is INVALID_ARGUMENT naming ${field}`, async (t) => {
    t.throws(() => fromJson(CreateBackupRequest, body), { code: 'VBGW_INVALID_ARGUMENT', grpcCode: 3, field })
  })
}

const badPolicy: Array<[string, Record<string, unknown>, string]> = [
  ['int32 given a fraction', { retention_count: 1.5 }, 'retention_count'],
  ['int32 out of range', { retention_count: 2 ** 31 }, 'retention_count'],
  ['int32 given a bool', { retention_count: true }, 'retention_count'],
  ['int32 given a string with a leading zero (no JSON number)', { retention_count: '007' }, 'retention_count'],
  ['int32 given a string fraction', { retention_count: '7.5' }, 'retention_count'],
  ['int32 given a string with spaces', { retention_count: ' 7' }, 'retention_count'],
  ['a field given twice, once as null', { isActive: null, is_active: false }, 'is_active'],
  ['bool given a string', { is_active: 'yes' }, 'is_active'],
  ['bool given 1', { is_active: 1 }, 'is_active']
]
for (const [what, body, field] of badPolicy) {
  t.test(`requests: ${what} is INVALID_ARGUMENT naming ${field}`, async (t) => {
    t.throws(() => fromJson(UpdateBackupPolicyRequest, body), { code: 'VBGW_INVALID_ARGUMENT', field })
  })
}

t.test('requests: the body must be an object', async (t) => {
  for (const body of [[], 'x', 3, null]) {
    t.throws(() => fromJson(CreateBackupRequest, body), { code: 'VBGW_INVALID_ARGUMENT', message: /JSON object/ })
  }
})

t.test('requests: timestamps, enums and int64 parse per the mapping', async (t) => {
  t.same(fromJson(Backup, { created_at: '2026-05-11T10:00:00.5+02:00', status: 'FAILED', size_bytes: 12 }), {
    created_at: { seconds: '1778486400', nanos: 500_000_000 }, status: 'FAILED', size_bytes: '12'
  })
  t.same(fromJson(Backup, { status: 2 }), { status: 'RUNNING' })
  t.throws(() => fromJson(Backup, { created_at: '2026-05-11' }), { code: 'VBGW_INVALID_ARGUMENT', field: 'created_at' })
  t.throws(() => fromJson(Backup, { status: 'DONE' }), { code: 'VBGW_INVALID_ARGUMENT', field: 'status' })
  t.throws(() => fromJson(Backup, { size_bytes: '1.5' }), { code: 'VBGW_INVALID_ARGUMENT', field: 'size_bytes' })
  t.throws(() => fromJson(Backup, { size_bytes: 2 ** 60 }), { code: 'VBGW_INVALID_ARGUMENT', field: 'size_bytes' }, 'an unsafe JSON number loses digits: string required')
})

t.test('requests: a timestamp must name a real instant in years 0001-9999', async (t) => {
  // Each of these matches the RFC 3339 shape; Date.parse would roll most of them over.
  for (const text of ['2026-02-30T00:00:00Z', '2025-02-29T12:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z',
    '2026-05-11T24:00:00Z', '2026-05-11T23:60:00Z', '2026-05-11T23:59:60Z', '2026-05-11T10:00:00+24:00',
    '9999-12-31T23:00:00-05:00', '0000-12-31T23:59:59Z']) {
    t.throws(() => timestampFromJson(text, 'created_at'), { code: 'VBGW_INVALID_ARGUMENT', field: 'created_at' }, text)
  }
  t.same(timestampFromJson('2024-02-29T00:00:00Z', 'x'), { seconds: '1709164800', nanos: 0 }, 'a leap day is real')
  t.same(timestampFromJson('9999-12-31T23:59:59.999999999Z', 'x'), { seconds: '253402300799', nanos: 999_999_999 })
  t.same(timestampFromJson('0001-01-01T00:00:00Z', 'x'), { seconds: '-62135596800', nanos: 0 }, 'years below 100 stay as written')
  t.same(timestampFromJson('2026-05-11t10:00:00-01:30', 'x'), { seconds: String(Date.UTC(2026, 4, 11, 11, 30) / 1000), nanos: 0 })
})

t.test('responses: a timestamp past year 9999 is refused, not rendered malformed', async (t) => {
  t.equal(timestampToJson({ seconds: '253402300799', nanos: 0 }), '9999-12-31T23:59:59Z')
  t.equal(timestampToJson({ seconds: '-62135596800', nanos: 0 }), '0001-01-01T00:00:00Z')
  for (const ts of [{ seconds: '253402300800', nanos: 0 }, { seconds: '-62135596801', nanos: 0 }, { seconds: '0', nanos: 1_000_000_000 }]) {
    t.throws(() => timestampToJson(ts), { code: 'VBGW_UPSTREAM_BROKE_CONTRACT' }, JSON.stringify(ts))
  }
})
