/**
 * Fires active policies on their cron schedule (UTC), and decides what a
 * policy's retention prunes. Croner only computes the next run; waiting is
 * done with the injected clock, never croner's own timers, so a test can move
 * a day forward and see every run happen.
 */
import type { Cron } from 'croner'
import { compileCron } from '../upstream/validate.js'
import { MAX_TIMER_MS, type Clock } from './clock.js'
import { byAge, type BackupRecord, type PolicyRecord } from './state.js'

/**
 * The backups a policy's retention prunes, oldest first, out of `made`: the
 * backups that policy made (manual backups are never pruned).
 *
 * `retention_count` counts artifacts: the newest `retentionCount` COMPLETED
 * backups are kept. A run still PENDING or RUNNING is neither counted nor
 * pruned, and retention is applied when a run ends, not when it starts: a run
 * in flight, or one that fails, never pushes out a good backup, and the last
 * COMPLETED one stays until a newer one has completed.
 *
 * A FAILED run holds no artifact; its record stays to show why a run failed,
 * until `retentionCount` newer runs have completed (it is then older than
 * every backup retention keeps) or `retentionCount` newer runs have failed
 * too (so a policy that keeps failing does not pile records up). A policy
 * thus holds at most `retentionCount` backups and as many failure records.
 *
 * A COMPLETED backup past retention that a restore in progress reads
 * (`inUse`) is skipped: a scheduled clean-up must not pull the artifact from
 * under a restore a user asked for. It goes at the next pass, which the end
 * of that restore triggers.
 */
export function retentionPrunes (made: readonly BackupRecord[], retentionCount: number, inUse: (backup: BackupRecord) => boolean): BackupRecord[] {
  const pruned: BackupRecord[] = []
  let newerCompleted = 0
  let newerFailed = 0
  for (const backup of [...made].sort(byAge).reverse()) {
    if (backup.status === 'COMPLETED') {
      if (newerCompleted >= retentionCount && !inUse(backup)) pruned.push(backup)
      newerCompleted++
    } else if (backup.status === 'FAILED') {
      if (newerCompleted >= retentionCount || newerFailed >= retentionCount) pruned.push(backup)
      newerFailed++
    }
  }
  return pruned.reverse()
}

/** Called when a policy's scheduled time comes; `at` is that time (epoch ms). */
export type FireHandler = (policy: PolicyRecord, at: number) => void

/** Keeps one pending timer per active policy. */
export class PolicyScheduler {
  private readonly clock: Clock
  private readonly onFire: FireHandler
  private readonly onError: (err: unknown, policy: PolicyRecord) => void
  private readonly timers = new Map<string, unknown>()

  constructor (clock: Clock, onFire: FireHandler, onError: (err: unknown, policy: PolicyRecord) => void) {
    this.clock = clock
    this.onFire = onFire
    this.onError = onError
  }

  /**
   * (Re)arm a policy from now with its current schedule: called on create and
   * on every update, so a new cron or an activation takes effect at once.
   * An inactive policy is left unarmed.
   */
  schedule (policy: PolicyRecord): void {
    this.unschedule(policy.id)
    if (!policy.isActive) return
    this.arm(policy, compileCron(policy.scheduleCron), this.clock.now())
  }

  /** Disarm a policy (deleted, or about to be re-armed). */
  unschedule (policyId: string): void {
    const handle = this.timers.get(policyId)
    if (handle !== undefined) this.clock.clearTimeout(handle)
    this.timers.delete(policyId)
  }

  /** Whether a policy has a run pending. */
  isScheduled (policyId: string): boolean {
    return this.timers.has(policyId)
  }

  /** Disarm everything: the simulator is closing. */
  stopAll (): void {
    for (const id of [...this.timers.keys()]) this.unschedule(id)
  }

  private arm (policy: PolicyRecord, cron: Cron, from: number): void {
    // nextRun is strictly after `from`, so a run never repeats itself.
    const next = cron.nextRun(new Date(from))
    if (next === null) return // a schedule with no future date, e.g. "0 0 31 2 *"
    const due = next.getTime()
    const wait = (): void => {
      const now = this.clock.now()
      if (now < due) {
        // Far-off runs wait in steps a Node timer can hold; an early wake-up waits again.
        this.timers.set(policy.id, this.clock.setTimeout(wait, Math.min(due - now, MAX_TIMER_MS)))
        return
      }
      this.timers.delete(policy.id)
      try {
        this.onFire(policy, due)
      } catch (err) {
        this.onError(err, policy)
      }
      // Re-arm from the later of the due time and now: a process that slept
      // through several runs makes one backup, not a burst of catch-up ones.
      if (!this.timers.has(policy.id) && policy.isActive) this.arm(policy, cron, Math.max(due, this.clock.now()))
    }
    wait()
  }
}
