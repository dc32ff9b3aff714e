/**
 * The simulator's sense of time. Jobs and policy schedules only ever read the
 * time and set timers through a `Clock`, so a test can swap in a manual clock
 * and move hours forward without sleeping.
 */

/** Time source and timers: the system's by default, a manual one in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now (): number
  /** Run `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout (fn: () => void, ms: number): unknown
  /** Cancel a timer; unknown or already-run handles are ignored. */
  clearTimeout (handle: unknown): void
}

/** Node's clock and timers. Timers are unref'd: pending jobs never keep a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout (fn, ms) {
    const handle = setTimeout(fn, ms)
    handle.unref()
    return handle
  },
  clearTimeout (handle) {
    clearTimeout(handle as NodeJS.Timeout)
  }
}

/**
 * Node's timers overflow past 2^31-1 ms (about 24.8 days) and then fire at
 * once; schedules further out (a yearly cron) wait in steps of at most this.
 */
export const MAX_TIMER_MS = 2_147_483_647
