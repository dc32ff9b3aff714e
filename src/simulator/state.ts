/**
 * The simulator's in-memory state and its conversion to the proto's response
 * shapes. Nothing here checks a rule: the service layer does, then mutates.
 */
import type { Backup__Output } from '../generated/dodil/vbase/v1/Backup.js'
import type { BackupPolicy__Output } from '../generated/dodil/vbase/v1/BackupPolicy.js'
import type { RestoreJob__Output } from '../generated/dodil/vbase/v1/RestoreJob.js'
import type { Timestamp__Output } from '../generated/google/protobuf/Timestamp.js'

/** The states a job passes through; UNSPECIFIED is never produced. */
export type JobState = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED'

/** What the job runner drives: the common part of a backup and a restore. */
export interface Job {
  status: JobState
  /** Epoch ms. */
  createdAt: number
  /** Epoch ms; set once the job is COMPLETED or FAILED. */
  completedAt?: number
  errorMessage: string
}

/** A backup job and its artifact. */
export interface BackupRecord extends Job {
  name: string
  serviceId: string
  organizationId: string
  dbName: string
  /** `*` stands for every collection of the database (policy backups). */
  collections: string[]
  /** Size once COMPLETED; 0 before and on failure. */
  sizeBytes: number
  policyId?: string
  /** Insertion order, to break ties between equal creation times. */
  seq: number
}

/** A restore job. */
export interface RestoreRecord extends Job {
  id: string
  serviceId: string
  organizationId: string
  backupName: string
  dbName: string
  collections: string[]
}

/** A recurring backup policy. */
export interface PolicyRecord {
  id: string
  serviceId: string
  organizationId: string
  scheduleCron: string
  retentionCount: number
  isActive: boolean
  createdAt: number
  updatedAt: number
}

/** Oldest first; creation order breaks ties. */
export function byAge (a: BackupRecord, b: BackupRecord): number {
  return a.createdAt - b.createdAt || a.seq - b.seq
}

/**
 * Services, backups, restores and policies. The API has no service registry,
 * so a service exists from its first successful write, bound for good to the
 * organization that made it.
 */
export class SimState {
  private readonly owners = new Map<string, string>()
  private readonly backups = new Map<string, Map<string, BackupRecord>>()
  readonly restores = new Map<string, RestoreRecord>()
  readonly policies = new Map<string, PolicyRecord>()
  private seq = 0

  /** The organization a service is bound to, if it was ever written to. */
  ownerOf (serviceId: string): string | undefined {
    return this.owners.get(serviceId)
  }

  /** Bind a service to an organization on its first write; later binds are no-ops. */
  bind (serviceId: string, organizationId: string): void {
    if (!this.owners.has(serviceId)) this.owners.set(serviceId, organizationId)
  }

  findBackup (serviceId: string, name: string): BackupRecord | undefined {
    return this.backups.get(serviceId)?.get(name)
  }

  /** A service's backups, oldest first. */
  backupsOf (serviceId: string): BackupRecord[] {
    return [...(this.backups.get(serviceId)?.values() ?? [])].sort(byAge)
  }

  /** Every backup of every service bound to the organization, oldest first. */
  backupsOfOrg (organizationId: string): BackupRecord[] {
    const all: BackupRecord[] = []
    for (const [serviceId, owner] of this.owners) {
      if (owner === organizationId) all.push(...(this.backups.get(serviceId)?.values() ?? []))
    }
    return all.sort(byAge)
  }

  /** Store a new backup (its name must be free in its service). */
  addBackup (record: Omit<BackupRecord, 'seq'>): BackupRecord {
    const stored: BackupRecord = { ...record, seq: this.seq++ }
    let byName = this.backups.get(record.serviceId)
    if (byName === undefined) this.backups.set(record.serviceId, byName = new Map())
    byName.set(record.name, stored)
    return stored
  }

  removeBackup (serviceId: string, name: string): BackupRecord | undefined {
    const byName = this.backups.get(serviceId)
    const record = byName?.get(name)
    if (record !== undefined) byName?.delete(name)
    return record
  }

  /** A service's policies, oldest first. */
  policiesOf (serviceId: string): PolicyRecord[] {
    return [...this.policies.values()].filter((p) => p.serviceId === serviceId).sort((a, b) => a.createdAt - b.createdAt)
  }
}

/** Epoch ms as a google.protobuf.Timestamp, decoded the way the contract's loader options decode it. */
export function toTimestamp (ms: number): Timestamp__Output {
  const seconds = Math.floor(ms / 1000)
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 }
}

/** A backup record as the `Backup` message. */
export function toBackup (r: BackupRecord): Backup__Output {
  const backup: Backup__Output = {
    name: r.name,
    service_id: r.serviceId,
    organization_id: r.organizationId,
    db_name: r.dbName,
    collection_names: [...r.collections],
    status: r.status,
    created_at: toTimestamp(r.createdAt),
    completed_at: r.completedAt === undefined ? null : toTimestamp(r.completedAt),
    size_bytes: String(r.sizeBytes),
    error_message: r.errorMessage
  }
  if (r.policyId !== undefined) backup.policy_id = r.policyId
  return backup
}

/** A restore record as the `RestoreJob` message. */
export function toRestoreJob (r: RestoreRecord): RestoreJob__Output {
  return {
    id: r.id,
    service_id: r.serviceId,
    organization_id: r.organizationId,
    backup_name: r.backupName,
    db_name: r.dbName,
    collection_names: [...r.collections],
    status: r.status,
    created_at: toTimestamp(r.createdAt),
    completed_at: r.completedAt === undefined ? null : toTimestamp(r.completedAt),
    error_message: r.errorMessage
  }
}

/** A policy record as the `BackupPolicy` message. */
export function toPolicy (p: PolicyRecord): BackupPolicy__Output {
  return {
    id: p.id,
    service_id: p.serviceId,
    organization_id: p.organizationId,
    schedule_cron: p.scheduleCron,
    retention_count: p.retentionCount,
    is_active: p.isActive,
    created_at: toTimestamp(p.createdAt),
    updated_at: toTimestamp(p.updatedAt)
  }
}
