/**
 * The proto marks what the reference requires (google.api.field_behavior
 * REQUIRED); OpenAPI shows it. The gateway's own checks must agree with it:
 * every REQUIRED field left out of a valid request is refused naming that
 * field, and every other field may be left out.
 */
import t from 'tap'
import { contract, isRequired, type MethodName } from '../../src/upstream/contract.js'
import { validateRequest } from '../../src/upstream/validate.js'

const ORG = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
const POLICY = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'

/** A valid request of every method, every field given. */
const FULL: Record<MethodName, Record<string, unknown>> = {
  CreateBackup: { service_id: 'svc', organization_id: ORG, db_name: 'db', collection_names: ['docs'], backup_name: 'b1' },
  ListBackups: { service_id: 'svc' },
  ListBackupByOrg: { organization_id: ORG },
  RestoreBackup: { service_id: 'svc', organization_id: ORG, backup_name: 'b1', db_name: 'db', collection_names: ['docs'] },
  DeleteBackup: { service_id: 'svc', backup_name: 'b1' },
  CreateBackupPolicy: { service_id: 'svc', organization_id: ORG, schedule_cron: '0 0 * * *', retention_count: 7, is_active: true },
  UpdateBackupPolicy: { service_id: 'svc', policy_id: POLICY, organization_id: ORG, schedule_cron: '0 0 * * *', retention_count: 7, is_active: false },
  DeleteBackupPolicy: { service_id: 'svc', policy_id: POLICY },
  ListBackupPolicies: { service_id: 'svc' }
}

t.test('each method: a REQUIRED field left out is refused by name, any other may be left out', async (t) => {
  let required = 0
  for (const method of contract.methods.values()) {
    const full = FULL[method.name]
    t.same(Object.keys(full).sort(), method.requestType.fieldsArray.map((f) => f.name).sort(), `${method.name}: the valid request gives every field`)
    t.doesNotThrow(() => validateRequest(method.name, full), `${method.name} with every field`)
    for (const field of method.requestType.fieldsArray) {
      const { [field.name]: _left, ...without } = full
      if (isRequired(field)) {
        required++
        t.throws(() => validateRequest(method.name, without), { code: 'VBGW_INVALID_ARGUMENT', field: field.name }, `${method.name}.${field.name} is required`)
      } else {
        t.doesNotThrow(() => validateRequest(method.name, without), `${method.name}.${field.name} is optional`)
      }
    }
  }
  t.equal(required, 24, 'the reference requires 24 fields across the nine methods')
})
