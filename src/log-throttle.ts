/**
 * At most one log line per interval for a repeating failure (a storage
 * down, stdout not draining): the lines held back meanwhile are counted,
 * so the next line that passes can say how many it stands for.
 */
export class LogThrottle {
  #lastAt = -Infinity
  #heldBack = 0

  constructor (private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  /** When a line may pass now: how many were held back since the last one. Otherwise undefined, and this one is counted. */
  pass (): number | undefined {
    const t = this.now()
    if (t - this.#lastAt < this.intervalMs) {
      this.#heldBack++
      return undefined
    }
    this.#lastAt = t
    const heldBack = this.#heldBack
    this.#heldBack = 0
    return heldBack
  }
}
