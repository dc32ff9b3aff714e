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

  /**
   * Log a repeating event: at warn when a line may pass now (with how many
   * were held back, as `suppressed`), otherwise at debug, so every event
   * still has its line for whoever turns debug on.
   */
  warnOrDebug (log: { warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }, fields: object, msg: string): void {
    const suppressed = this.pass()
    if (suppressed === undefined) log.debug(fields, msg)
    else log.warn({ ...fields, suppressed }, msg)
  }
}
