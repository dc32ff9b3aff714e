/**
 * Moves backup and restore jobs through PENDING -> RUNNING -> COMPLETED on
 * the injected clock: RUNNING at half the job time, done at the end. A job
 * can be told to fail instead, at the end or at once (`fail`). Whichever way
 * a job ends, its plan's `onEnd` runs then (policy retention hangs off it).
 */
import type { Clock } from './clock.js'
import type { Job } from './state.js'

/** How a job should end. */
export interface JobPlan {
  /** End FAILED with this message instead of COMPLETED. */
  failWith?: string
  /** Runs when the job completes successfully (a backup gets its size here). */
  onComplete?: () => void
  /** Runs once the job has ended, COMPLETED or FAILED (after `onComplete`); not when it is cancelled. */
  onEnd?: () => void
}

/** Drives jobs through their states on a clock. */
export class JobRunner {
  private readonly clock: Clock
  private readonly jobMs: number
  /** Jobs in progress: their timers, and their plan for a `fail` to honour. */
  private readonly running = new Map<Job, { handles: unknown[], plan: JobPlan }>()

  /** `jobMs`: total time from PENDING to the end; 0 finishes jobs as they are created. */
  constructor (clock: Clock, jobMs: number) {
    this.clock = clock
    this.jobMs = jobMs
  }

  /** Drive `job` from its current state (PENDING or RUNNING) to its end. */
  start (job: Job, plan: JobPlan = {}): void {
    const finish = (): void => {
      this.running.delete(job)
      if (plan.failWith !== undefined) {
        this.end(job, 'FAILED', plan.failWith)
      } else {
        this.end(job, 'COMPLETED', '')
        plan.onComplete?.()
      }
      plan.onEnd?.()
    }
    if (job.status !== 'PENDING' && job.status !== 'RUNNING') return
    if (this.jobMs === 0) return finish()
    const half = Math.floor(this.jobMs / 2)
    const handles: unknown[] = []
    if (job.status === 'PENDING') {
      handles.push(this.clock.setTimeout(() => { job.status = 'RUNNING' }, half))
      handles.push(this.clock.setTimeout(finish, this.jobMs))
    } else {
      // A job already running (seed data) has the second half left.
      handles.push(this.clock.setTimeout(finish, this.jobMs - half))
    }
    this.running.set(job, { handles, plan })
  }

  /**
   * End a job FAILED now, whatever its state: the test hook behind `failJob`.
   * A job still in progress ends as its plan says a failed job ends (`onEnd`).
   */
  fail (job: Job, message: string): void {
    const plan = this.running.get(job)?.plan
    this.cancel(job)
    this.end(job, 'FAILED', message)
    plan?.onEnd?.()
  }

  /** Stop driving a job (it was deleted); its plan's hooks never run. */
  cancel (job: Job): void {
    for (const handle of this.running.get(job)?.handles ?? []) this.clock.clearTimeout(handle)
    this.running.delete(job)
  }

  /** Jobs still in progress. */
  get active (): number {
    return this.running.size
  }

  /** Cancel every timer: the simulator is closing. */
  stopAll (): void {
    for (const job of [...this.running.keys()]) this.cancel(job)
  }

  private end (job: Job, status: 'COMPLETED' | 'FAILED', message: string): void {
    job.status = status
    job.completedAt = this.clock.now()
    job.errorMessage = message
  }
}
