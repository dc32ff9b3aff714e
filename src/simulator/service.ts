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
import { PolicyScheduler, retentionPrunes } from './policies.js'
import { alreadyExists, failedPrecondition, notFound, permissionDenied } from './rpc-error.js'
import { SimState, toBackup, toPolicy, toRestoreJob, type BackupRecord, type PolicyRecord, type RestoreRecord } from './state.js'

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
      const job: RestoreRecord = {
        id: randomUUID(),
        serviceId: req.service_id,
        organizationId: org,
        backupName: backup.name,
        dbName: req.db_name,
        collections: [...req.collection_names],
        status: 'PENDING',
        createdAt: this.clock.now(),
        errorMessage: ''
      }
      this.state.restores.set(job.id, job)
      // A policy backup that retention skipped while this restore read it goes now.
      const { policyId } = backup
      this.jobs.start(job, { ...this.nextJobPlan(), ...(policyId === undefined ? {} : { onEnd: () => { this.applyRetention(policyId) } }) })
      return toRestoreJob(job)
    },

    DeleteBackup: (req, org) => {
      this.serviceAccess(req.service_id, org)
      const backup = this.findBackup(req.service_id, req.backup_name)
      // Refused rather than failing the restore: the artifact is what the
      // restore is reading, and the delete can simply be sent again later.
      const reading = this.restoreReading(backup)
      if (reading !== undefined) {
        throw failedPrecondition(`backup ${backup.name} is being read by restore job ${reading.id} (${reading.status}): it can be deleted once that restore has ended`)
      }
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
      // A lower retention_count applies when retention next runs: a run of the
      // policy (or a restore from one of its backups) ends.
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

  /**
   * Store a backup and drive its job if it is unfinished (also used by the
   * seed). When a policy's run ends, COMPLETED or FAILED, the policy's
   * retention is applied (see `retentionPrunes`).
   */
  insertBackup (record: Omit<BackupRecord, 'seq'>, plan: JobPlan = {}): BackupRecord {
    const stored = this.state.addBackup(record)
    const { policyId } = stored
    this.jobs.start(stored, {
      ...plan,
      onComplete: () => { stored.sizeBytes = simulatedSize(stored.serviceId, stored.dbName, stored.name, stored.collections) },
      ...(policyId === undefined ? {} : { onEnd: () => { this.applyRetention(policyId) } })
    })
    return stored
  }

  /** Store a policy and arm it if active (also used by the seed). */
  insertPolicy (policy: PolicyRecord): PolicyRecord {
    this.state.policies.set(policy.id, policy)
    this.scheduler.schedule(policy)
    return policy
  }

  /**
   * Test hook: store a policy without the checks a request gets, as another
   * VBase client (or an older VBase) may have left one, e.g. with a schedule
   * that never fires. Binds the service to the organization as a create does.
   */
  storePolicy (policy: Pick<PolicyRecord, 'serviceId' | 'organizationId' | 'scheduleCron'> & Partial<PolicyRecord>): PolicyRecord {
    const now = this.clock.now()
    this.state.bind(policy.serviceId, policy.organizationId)
    return this.insertPolicy({ id: randomUUID(), retentionCount: 1, isActive: true, createdAt: now, updatedAt: now, ...policy })
  }

  /** Test hook: end a backup job FAILED now with `message` (a policy's run then applies its retention). */
  failJob (serviceId: string, backupName: string, message: string): void {
    const backup = this.state.findBackup(serviceId, backupName)
    if (backup === undefined) throw new RangeError(`no backup ${backupName} in service ${serviceId}`)
    backup.sizeBytes = 0
    this.jobs.fail(backup, message)
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

  /** A policy's run: one backup of the whole service. Retention is applied when it ends, not now. */
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
    this.logger.info({ policyId: policy.id, serviceId: policy.serviceId, backup: name }, 'backup policy fired')
  }

  /**
   * Prune a policy's backups to its retention_count (rules in
   * `retentionPrunes`). A deleted policy prunes nothing: its backups stay.
   */
  private applyRetention (policyId: string): void {
    const policy = this.state.policies.get(policyId)
    if (policy === undefined) return
    const made = this.state.backupsOf(policy.serviceId).filter((b) => b.policyId === policy.id)
    const pruned = retentionPrunes(made, policy.retentionCount, (b) => this.restoreReading(b) !== undefined)
    for (const old of pruned) this.removeBackup(old)
    if (pruned.length > 0) this.logger.info({ policyId: policy.id, serviceId: policy.serviceId, pruned: pruned.map((b) => b.name) }, 'backup policy retention applied')
  }

  /** A restore job still PENDING or RUNNING that reads `backup`, if any. */
  private restoreReading (backup: BackupRecord): RestoreRecord | undefined {
    for (const job of this.state.restores.values()) {
      if (job.serviceId === backup.serviceId && job.backupName === backup.name && (job.status === 'PENDING' || job.status === 'RUNNING')) return job
    }
    return undefined
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
