/**
 * One valid request of every method, every field given: what tests of the
 * gateway's checks vary one field at a time (test/upstream/required-fields,
 * test/rest/openapi).
 */
import type { MethodName } from '../../src/upstream/contract.js'

export const ORG = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
export const POLICY = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'

export const FULL_REQUESTS: Readonly<Record<MethodName, Readonly<Record<string, unknown>>>> = {
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
