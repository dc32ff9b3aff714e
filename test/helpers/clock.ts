/**
 * A manual clock for tests: time moves only when a test calls `advance`, and
 * timers due within the advanced window run in time order (ties in the order
 * they were set), including timers they set themselves inside the window.
 */
import type { Clock } from '../../src/simulator/clock.js'

interface Timer {
  id: number
  due: number
  fn: () => void
}

/** 2026-01-01T00:00:00Z: a fixed, round start so names and cron runs are predictable. */
export const FAKE_EPOCH = Date.UTC(2026, 0, 1)

/** A `Clock` that a test drives by hand. */
export class FakeClock implements Clock {
  private current: number
  private nextId = 1
  private readonly timers = new Map<number, Timer>()

  constructor (start = FAKE_EPOCH) {
    this.current = start
  }

  now (): number {
    return this.current
  }

  setTimeout (fn: () => void, ms: number): unknown {
    const timer: Timer = { id: this.nextId++, due: this.current + Math.max(0, ms), fn }
    this.timers.set(timer.id, timer)
    return timer.id
  }

  clearTimeout (handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Timers waiting to run. */
  get pending (): number {
    return this.timers.size
  }

  /** Move time forward by `ms`, running every timer that falls due on the way. */
  advance (ms: number): void {
    if (!(ms >= 0)) throw new RangeError('advance needs a non-negative number of milliseconds')
    const target = this.current + ms
    for (let timer = this.earliest(target); timer !== undefined; timer = this.earliest(target)) {
      this.timers.delete(timer.id)
      this.current = timer.due
      timer.fn()
    }
    this.current = target
  }

  /** Move time forward to an absolute instant (epoch ms), running due timers. */
  advanceTo (ms: number): void {
    this.advance(ms - this.current)
  }

  private earliest (limit: number): Timer | undefined {
    let first: Timer | undefined
    for (const t of this.timers.values()) {
      if (t.due <= limit && (first === undefined || t.due < first.due || (t.due === first.due && t.id < first.id))) first = t
    }
    return first
  }
}
