import t from 'tap'
import { contract } from '../../src/upstream/contract.js'

// The reference's inventory plus the ListBackupPolicies extension.
const expected = [
  ['CreateBackup', 'POST', '/v1/vbase/{service_id}/backup', '*', false],
  ['ListBackups', 'GET', '/v1/vbase/{service_id}/backup', undefined, true],
  ['ListBackupByOrg', 'POST', '/v1/vbase/backup/org/{organization_id}', '*', true],
  ['RestoreBackup', 'POST', '/v1/vbase/{service_id}/backup/restore', '*', false],
  ['DeleteBackup', 'DELETE', '/v1/vbase/{service_id}/backup/{backup_name}', undefined, false],
  ['CreateBackupPolicy', 'POST', '/v1/vbase/{service_id}/backup/policy', '*', false],
  ['UpdateBackupPolicy', 'POST', '/v1/vbase/{service_id}/backup/policy/{policy_id}', '*', false],
  ['DeleteBackupPolicy', 'DELETE', '/v1/vbase/{service_id}/backup/policy/{policy_id}', undefined, false],
  ['ListBackupPolicies', 'GET', '/v1/vbase/{service_id}/backup/policy', undefined, true]
] as const

t.test('the method table', async (t) => {
  t.equal(contract.methods.size, 9)
  for (const [name, verb, pathTemplate, body, read] of expected) {
    const m = contract.method(name)
    t.same(m.http, { verb, pathTemplate, pathParams: [...pathTemplate.matchAll(/\{(\w+)\}/g)].map((x) => x[1]), body }, name)
    t.equal(m.read, read, `${name} read`)
    t.equal(m.extension, name === 'ListBackupPolicies', `${name} extension`)
    t.equal(m.grpcPath, `/dodil.vbase.v1.VBaseService/${name}`)
    t.ok(m.description.length > 10, `${name} has a description`)
    t.equal(typeof m.definition.requestSerialize, 'function')
  }
})

t.test('request messages carry the reference fields', async (t) => {
  const fields = (type: string): string[] => Object.keys(contract.root.lookupType(`dodil.vbase.v1.${type}`).fields)
  t.same(fields('CreateBackupRequest'), ['service_id', 'organization_id', 'db_name', 'collection_names', 'backup_name'])
  t.same(fields('RestoreBackupRequest'), ['service_id', 'organization_id', 'backup_name', 'db_name', 'collection_names'])
  t.same(fields('CreateBackupPolicyRequest'), ['service_id', 'organization_id', 'schedule_cron', 'retention_count', 'is_active'])
  t.same(fields('UpdateBackupPolicyRequest'), ['service_id', 'policy_id', 'organization_id', 'schedule_cron', 'retention_count', 'is_active'])
  const update = contract.root.lookupType('dodil.vbase.v1.UpdateBackupPolicyRequest')
  t.ok(update.fields.is_active?.options?.proto3_optional ?? update.fields.is_active?.partOf, 'is_active has presence')
})

t.test('every field and message has a comment', async (t) => {
  const pkg = contract.root.lookup('dodil.vbase.v1') as import('protobufjs').Namespace
  for (const obj of pkg.nestedArray) {
    if (!('fields' in obj)) continue
    const type = obj as import('protobufjs').Type
    t.ok(type.comment, `${type.name} has a comment`)
    for (const f of type.fieldsArray) t.ok(f.comment, `${type.name}.${f.name} has a comment`)
  }
})
