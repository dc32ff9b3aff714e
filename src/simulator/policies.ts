/**
 * Fires active policies on their cron schedule (UTC). Croner only computes
 * the next run; waiting is done with the injected clock, never croner's own
 * timers, so a test can move a day forward and see every run happen.
 */
import type { Cron } from 'croner'
import { compileCron } from '../upstream/validate.js'
import { MAX_TIMER_MS, type Clock } from './clock.js'
import type { PolicyRecord } from './state.js'

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
