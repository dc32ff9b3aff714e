/**
 * The nine VBaseService methods over the in-memory state. Requests arrive
 * authenticated (the caller's organization) and validated; each method then
 * checks ownership and only then existence. A service bound to another
 * organization is not hidden: every method on it, reads included, answers
 * PERMISSION_DENIED, so the caller learns that the service belongs to
 * someone else, but nothing of what it holds (which backups or policies
 * exist there).
 */
import { randomUUID } from 'node:crypto'
import type { Clock } from './clock.js'
import type { SimMethod, SimRequest, SimResponse } from './methods.js'
import type { RestoreJob__Output } from '../generated/dodil/vbase/v1/RestoreJob.js'
import type { FaultInjector } from './faults.js'
import { JobRunner, type JobPlan } from './jobs.js'
import type { SimulatorLogger } from './logger.js'
import { freeName, generatedBackupName, policyBackupName, simulatedSize } from './names.js'
import { PolicyScheduler } from './policies.js'
import { alreadyExists, failedPrecondition, notFound, permissionDenied } from './rpc-error.js'
import { SimState, toBackup, toPolicy, toRestoreJob, type BackupRecord, type PolicyRecord } from './state.js'

/**
 * A policy request names no database or collections, so a policy backs up
 * the whole service: this database name and `*` (every collection). A
 * policy backup therefore covers any collection on restore.
 */
export const POLICY_DB_NAME = 'default'
/** The collection name standing for "every collection". */
export const ALL_COLLECTIONS = '*'

/** A method's business logic: decoded request and the caller's organization in, response out; throws RpcError. */
export type MethodImpl<M extends SimMethod> = (req: SimRequest<M>, organizationId: string) => SimResponse<M>

/** What the service layer is built from. */
export interface SimServiceDeps {
  clock: Clock
  jobMs: number
  faults: FaultInjector
  logger: SimulatorLogger
}

/** The simulated VBase: state, jobs, policy schedules and the method implementations. */
export class SimService {
  readonly state = new SimState()
  readonly jobs: JobRunner
  readonly scheduler: PolicyScheduler
  private readonly clock: Clock
  private readonly faults: FaultInjector
  private readonly logger: SimulatorLogger

  constructor (deps: SimServiceDeps) {
    this.clock = deps.clock
    this.faults = deps.faults
    this.logger = deps.logger
    this.jobs = new JobRunner(deps.clock, deps.jobMs)
    this.scheduler = new PolicyScheduler(deps.clock, (p, at) => this.firePolicy(p, at), (err, p) => {
      this.logger.warn({ err, policyId: p.id, serviceId: p.serviceId }, 'backup policy run failed')
    })
  }

  /** The method implementations, by gRPC method name. */
  readonly methods: { [M in SimMethod]: MethodImpl<M> } = {
    CreateBackup: (req, org) => {
      this.sameOrganization(req.organization_id, org)
      this.serviceAccess(req.service_id, org)
      let name = req.backup_name
      if (name !== undefined && this.state.findBackup(req.service_id, name) !== undefined) {
        throw alreadyExists(`backup_name ${name} already exists in service ${req.service_id}`)
      }
      name ??= freeName(generatedBackupName(this.clock.now()), (n) => this.state.findBackup(req.service_id, n) !== undefined)
      this.state.bind(req.service_id, org)
      const record = this.insertBackup({
        name,
        serviceId: req.service_id,
        organizationId: org,
        dbName: req.db_name,
        collections: [...req.collection_names],
        status: 'PENDING',
        createdAt: this.clock.now(),
        sizeBytes: 0,
        errorMessage: ''
      }, this.nextJobPlan())
      return toBackup(record)
    },

    ListBackups: (req, org) => {
      this.serviceAccess(req.service_id, org)
      return { backups: this.state.backupsOf(req.service_id).map(toBackup) }
    },

    ListBackupByOrg: (req, org) => {
      this.sameOrganization(req.organization_id, org)
      return { backups: this.state.backupsOfOrg(org).map(toBackup) }
    },

    RestoreBackup: (req, org) => {
      this.sameOrganization(req.organization_id, org)
      this.serviceAccess(req.service_id, org)
      const backup = this.findBackup(req.service_id, req.backup_name)
      if (backup.status !== 'COMPLETED') {
        throw failedPrecondition(`backup ${backup.name} is ${backup.status}: only a COMPLETED backup can be restored`)
      }
      const covered = new Set(backup.collections)
      const missing = covered.has(ALL_COLLECTIONS) ? [] : req.collection_names.filter((c) => !covered.has(c))
      if (missing.length > 0) {
        throw failedPrecondition(`collection_names: ${missing.join(', ')} not in backup ${backup.name}, which holds ${backup.collections.join(', ')}`)
      }
      const job = {
        id: randomUUID(),
        serviceId: req.service_id,
        organizationId: org,
        backupName: backup.name,
        dbName: req.db_name,
        collections: [...req.collection_names],
        status: 'PENDING' as const,
        createdAt: this.clock.now(),
        errorMessage: ''
      }
      this.state.restores.set(job.id, job)
      this.jobs.start(job, this.nextJobPlan())
      return toRestoreJob(job)
    },

    DeleteBackup: (req, org) => {
      this.serviceAccess(req.service_id, org)
      const backup = this.findBackup(req.service_id, req.backup_name)
      this.removeBackup(backup)
      return { backup: toBackup(backup) }
    },

    CreateBackupPolicy: (req, org) => {
      this.sameOrganization(req.organization_id, org)
      this.serviceAccess(req.service_id, org)
      this.state.bind(req.service_id, org)
      const now = this.clock.now()
      const policy = this.insertPolicy({
        id: randomUUID(),
        serviceId: req.service_id,
        organizationId: org,
        scheduleCron: req.schedule_cron.trim(),
        retentionCount: req.retention_count,
        isActive: req.is_active ?? true,
        createdAt: now,
        updatedAt: now
      })
      return toPolicy(policy)
    },

    UpdateBackupPolicy: (req, org) => {
      // Optional here; an empty string counts as omitted (see validate.ts).
      if (req.organization_id !== undefined && req.organization_id !== '') this.sameOrganization(req.organization_id, org)
      this.serviceAccess(req.service_id, org)
      const policy = this.findPolicy(req.service_id, req.policy_id)
      policy.scheduleCron = req.schedule_cron.trim()
      policy.retentionCount = req.retention_count
      if (req.is_active !== undefined) policy.isActive = req.is_active
      policy.updatedAt = this.clock.now()
      // Re-arm from now: a new schedule or an activation applies at once.
      // A lower retention_count takes effect at the policy's next run.
      this.scheduler.schedule(policy)
      return toPolicy(policy)
    },

    DeleteBackupPolicy: (req, org) => {
      this.serviceAccess(req.service_id, org)
      const policy = this.findPolicy(req.service_id, req.policy_id)
      this.scheduler.unschedule(policy.id)
      this.state.policies.delete(policy.id)
      return { policy: toPolicy(policy) }
    },

    ListBackupPolicies: (req, org) => {
      this.serviceAccess(req.service_id, org)
      return { policies: this.state.policiesOf(req.service_id).map(toPolicy) }
    }
  }

  /** Store a backup and drive its job if it is unfinished (also used by the seed). */
  insertBackup (record: Omit<BackupRecord, 'seq'>, plan: JobPlan = {}): BackupRecord {
    const stored = this.state.addBackup(record)
    this.jobs.start(stored, {
      ...plan,
      onComplete: () => { stored.sizeBytes = simulatedSize(stored.serviceId, stored.dbName, stored.name, stored.collections) }
    })
    return stored
  }

  /** Store a policy and arm it if active (also used by the seed). */
  insertPolicy (policy: PolicyRecord): PolicyRecord {
    this.state.policies.set(policy.id, policy)
    this.scheduler.schedule(policy)
    return policy
  }

  /** Test hook: end a backup job FAILED now with `message`. */
  failJob (serviceId: string, backupName: string, message: string): void {
    const backup = this.state.findBackup(serviceId, backupName)
    if (backup === undefined) throw new RangeError(`no backup ${backupName} in service ${serviceId}`)
    this.jobs.fail(backup, message)
    backup.sizeBytes = 0
  }

  /** Every restore job so far, oldest first, as `RestoreJob` messages. */
  restoreJobs (): RestoreJob__Output[] {
    return [...this.state.restores.values()].sort((a, b) => a.createdAt - b.createdAt).map(toRestoreJob)
  }

  /** Stop every job and schedule: the simulator is closing. */
  stop (): void {
    this.jobs.stopAll()
    this.scheduler.stopAll()
  }

  /** A policy's run: one backup of the whole service, then prune to retention_count. */
  private firePolicy (policy: PolicyRecord, at: number): void {
    const name = freeName(policyBackupName(policy.id, at), (n) => this.state.findBackup(policy.serviceId, n) !== undefined)
    this.insertBackup({
      name,
      serviceId: policy.serviceId,
      organizationId: policy.organizationId,
      dbName: POLICY_DB_NAME,
      collections: [ALL_COLLECTIONS],
      status: 'PENDING',
      createdAt: this.clock.now(),
      sizeBytes: 0,
      policyId: policy.id,
      errorMessage: ''
    }, this.nextJobPlan())
    // Retention counts only this policy's backups; manual ones are never pruned.
    const made = this.state.backupsOf(policy.serviceId).filter((b) => b.policyId === policy.id)
    const pruned = made.slice(0, Math.max(0, made.length - policy.retentionCount))
    for (const old of pruned) this.removeBackup(old)
    this.logger.info({ policyId: policy.id, serviceId: policy.serviceId, backup: name, pruned: pruned.map((b) => b.name) }, 'backup policy fired')
  }

  private nextJobPlan (): JobPlan {
    const failWith = this.faults.takeJobFailure()
    return failWith === undefined ? {} : { failWith }
  }

  private removeBackup (backup: BackupRecord): void {
    this.jobs.cancel(backup)
    this.state.removeBackup(backup.serviceId, backup.name)
  }

  private findBackup (serviceId: string, name: string): BackupRecord {
    const backup = this.state.findBackup(serviceId, name)
    if (backup === undefined) throw notFound(`backup ${name} not found in service ${serviceId}`)
    return backup
  }

  private findPolicy (serviceId: string, policyId: string): PolicyRecord {
    const policy = this.state.policies.get(policyId.toLowerCase())
    if (policy === undefined || policy.serviceId !== serviceId) throw notFound(`policy ${policyId} not found in service ${serviceId}`)
    return policy
  }

  /** The request's organization_id must be the caller's (UUIDs compare case-insensitively). */
  private sameOrganization (requested: string, caller: string): void {
    if (requested.toLowerCase() !== caller) throw permissionDenied(`organization_id ${requested} is not the caller's organization`)
  }

  /**
   * A service bound to another organization answers PERMISSION_DENIED to
   * every method, reads included, before any existence check: its owner is
   * not hidden, what it holds is. A service nobody owns yet reads as empty.
   */
  private serviceAccess (serviceId: string, caller: string): void {
    const owner = this.state.ownerOf(serviceId)
    if (owner !== undefined && owner !== caller) throw permissionDenied(`service ${serviceId} belongs to another organization`)
  }
}
