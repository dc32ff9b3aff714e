/**
 * The objects GraphQL resolves over: the facade's proto-named responses
 * mapped once to the schema's camelCase shape, so default resolvers (and
 * the JIT) read plain properties. Service and Organization are references:
 * an id, and for a service listed by its organization, the backups the
 * parent already holds.
 */
import type { Backup__Output } from '../generated/dodil/vbase/v1/Backup.js'
import type { BackupPolicy__Output } from '../generated/dodil/vbase/v1/BackupPolicy.js'
import type { RestoreJob__Output } from '../generated/dodil/vbase/v1/RestoreJob.js'
import type { Timestamp } from './scalars.js'

/** The JobStatus values the schema knows; anything else shows as UNKNOWN. */
const KNOWN_STATUS = new Set(['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'])

/** A job's status as the schema's JobStatus enum. */
export type JobStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'UNKNOWN'

function status (value: string): JobStatus {
  return KNOWN_STATUS.has(value) ? value as JobStatus : 'UNKNOWN'
}

/** The schema's Backup. */
export interface BackupNode {
  /** Its service, holding the rest of the list it came from, for a backup read in an organization's list. */
  [SERVICE_OF]?: ServiceRef
  name: string
  serviceId: string
  organizationId: string
  dbName: string
  collectionNames: string[]
  status: JobStatus
  createdAt: Timestamp | null
  completedAt: Timestamp | null
  sizeBytes: string
  policyId: string | null
  errorMessage: string | null
}

/** The schema's BackupPolicy. */
export interface PolicyNode {
  id: string
  serviceId: string
  organizationId: string
  scheduleCron: string
  retentionCount: number
  isActive: boolean
  createdAt: Timestamp | null
  updatedAt: Timestamp | null
  /** Set on the policy a deletion returns: it fires no more, whatever `isActive` says. */
  deleted?: true
}

/** The schema's RestoreJob. */
export interface RestoreJobNode {
  id: string
  serviceId: string
  organizationId: string
  backupName: string
  dbName: string
  collectionNames: string[]
  status: JobStatus
  createdAt: Timestamp | null
  completedAt: Timestamp | null
  errorMessage: string | null
}

/**
 * Backups a parent already holds for a service. A symbol key: mercurius
 * loaders key their batches by the JSON of the parent, which skips symbols,
 * so the key stays short however long the list.
 */
export const PRELOADED = Symbol('preloaded backups')

/**
 * The service reference of a backup read in an organization's list,
 * carrying that service's backups from the same list, so `Backup.service`
 * asks nothing more of the upstream. A symbol, kept out of loader keys.
 */
export const SERVICE_OF = Symbol('service of a listed backup')

/** The schema's Service: a reference by id. */
export interface ServiceRef {
  id: string
  /**
   * Which parent's list the preloaded backups come from, in the loaders'
   * key: mercurius merges the loader queries of one tick by that key, and a
   * preloaded reference must not answer for a bare one (which reads the
   * service's own list, perhaps after a write the parent's list predates).
   */
  preloadedFrom?: number
  [PRELOADED]?: BackupNode[]
}

/** The schema's Organization: a reference by id. */
export interface OrganizationRef {
  id: string
}

const emptyToNull = (s: string | undefined): string | null => s === undefined || s === '' ? null : s

/** A proto Backup as the schema's Backup. */
export function toBackupNode (b: Backup__Output): BackupNode {
  return {
    name: b.name,
    serviceId: b.service_id,
    organizationId: b.organization_id,
    dbName: b.db_name,
    collectionNames: b.collection_names ?? [],
    status: status(b.status),
    createdAt: b.created_at ?? null,
    completedAt: b.completed_at ?? null,
    sizeBytes: b.size_bytes === '' || b.size_bytes === undefined ? '0' : String(b.size_bytes),
    policyId: emptyToNull(b.policy_id),
    errorMessage: emptyToNull(b.error_message)
  }
}

/** A proto BackupPolicy as the schema's BackupPolicy. */
export function toPolicyNode (p: BackupPolicy__Output): PolicyNode {
  return {
    id: p.id,
    serviceId: p.service_id,
    organizationId: p.organization_id,
    scheduleCron: p.schedule_cron,
    retentionCount: p.retention_count,
    isActive: p.is_active,
    createdAt: p.created_at ?? null,
    updatedAt: p.updated_at ?? null
  }
}

/** A proto RestoreJob as the schema's RestoreJob. */
export function toRestoreJobNode (r: RestoreJob__Output): RestoreJobNode {
  return {
    id: r.id,
    serviceId: r.service_id,
    organizationId: r.organization_id,
    backupName: r.backup_name,
    dbName: r.db_name,
    collectionNames: r.collection_names ?? [],
    status: status(r.status),
    createdAt: r.created_at ?? null,
    completedAt: r.completed_at ?? null,
    errorMessage: emptyToNull(r.error_message)
  }
}

/** Tags of parents' lists: references from one list share one, any other differs. */
let preloads = 0

/** A tag for the service references made from one parent's list. */
export function preloadTag (): number {
  return ++preloads
}

/** A service reference carrying the backups its parent already holds (`from`: preloadTag of that list). */
export function serviceWithBackups (id: string, backups: BackupNode[], from: number): ServiceRef {
  return { id, preloadedFrom: from, [PRELOADED]: backups }
}
