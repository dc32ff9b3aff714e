/**
 * Request validation, per method, following the reference's tables: required
 * fields, UUID ids, a five-field cron, retention of at least 1. Each failure
 * is INVALID_ARGUMENT with a message that starts with the field's name, so a
 * caller (and the gateway's error details) can point at it. The UUID and
 * cron readings are the gateway's own (src/upstream/validate.ts), so the
 * schedule the simulator fires on is the one `nextRuns` shows.
 */
import { cronProblem, isUuid } from '../upstream/validate.js'
import type { SimMethod, SimRequest } from './methods.js'
import { invalidArgument } from './rpc-error.js'

function required (value: string | undefined, field: string): void {
  if (value === undefined || value.trim() === '') throw invalidArgument(`${field} is required`)
}

function uuid (value: string | undefined, field: string): void {
  required(value, field)
  if (!isUuid(value as string)) throw invalidArgument(`${field} must be a UUID`)
}

function collections (names: string[]): void {
  if (names.length === 0) throw invalidArgument('collection_names must name at least one collection')
  names.forEach((name, i) => {
    if (name.trim() === '') throw invalidArgument(`collection_names[${i}] must not be empty`)
  })
}

function cron (expr: string): void {
  required(expr, 'schedule_cron')
  const problem = cronProblem(expr)
  if (problem !== undefined) throw invalidArgument(`schedule_cron ${problem}`)
}

function retention (count: number): void {
  if (!Number.isInteger(count) || count < 1) throw invalidArgument('retention_count must be at least 1')
}

type Validators = { [M in SimMethod]: (req: SimRequest<M>) => void }

/** One validator per method; each throws an INVALID_ARGUMENT RpcError on the first bad field. */
export const validators: Validators = {
  CreateBackup (req) {
    required(req.service_id, 'service_id')
    uuid(req.organization_id, 'organization_id')
    required(req.db_name, 'db_name')
    collections(req.collection_names)
    // Present but empty is a mistake, not a request for a generated name.
    if (req.backup_name !== undefined && req.backup_name.trim() === '') {
      throw invalidArgument('backup_name must not be empty; omit it to get a generated name')
    }
  },
  ListBackups (req) {
    required(req.service_id, 'service_id')
  },
  ListBackupByOrg (req) {
    uuid(req.organization_id, 'organization_id')
  },
  RestoreBackup (req) {
    required(req.service_id, 'service_id')
    uuid(req.organization_id, 'organization_id')
    required(req.backup_name, 'backup_name')
    required(req.db_name, 'db_name')
    collections(req.collection_names)
  },
  DeleteBackup (req) {
    required(req.service_id, 'service_id')
    required(req.backup_name, 'backup_name')
  },
  CreateBackupPolicy (req) {
    required(req.service_id, 'service_id')
    uuid(req.organization_id, 'organization_id')
    cron(req.schedule_cron)
    retention(req.retention_count)
  },
  UpdateBackupPolicy (req) {
    required(req.service_id, 'service_id')
    uuid(req.policy_id, 'policy_id')
    // Optional on update; an empty string counts as omitted (JSON clients
    // often send one), anything else must be well formed.
    if (req.organization_id !== undefined && req.organization_id !== '' && !isUuid(req.organization_id)) {
      throw invalidArgument('organization_id must be a UUID')
    }
    cron(req.schedule_cron)
    retention(req.retention_count)
  },
  DeleteBackupPolicy (req) {
    required(req.service_id, 'service_id')
    uuid(req.policy_id, 'policy_id')
  },
  ListBackupPolicies (req) {
    required(req.service_id, 'service_id')
  }
}

/** Validate a decoded request for `method`. */
export function validate<M extends SimMethod> (method: M, req: SimRequest<M>): void {
  (validators[method] as (r: SimRequest<M>) => void)(req)
}
