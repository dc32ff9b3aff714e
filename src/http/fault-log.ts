/**
 * The error lines of server faults. A fault of the gateway's own (a bug)
 * is logged at error, with its stack, every time. A fault of the upstream
 * call (VBase unavailable, slow, failing: an UpstreamError) repeats for
 * every request while it lasts, and every request already has its access
 * line with its status: one error line per gRPC code passes per interval,
 * with how many were held back (`suppressed`); the others go out at debug.
 * The gateway's own overload refusals (VBGW_OVERLOADED: load shedding, the
 * upstream queue full or waited out) are no bug either, and come in floods
 * exactly when the process can least afford them: one warn line per
 * interval, without a stack, the others at debug.
 */
import { UpstreamError } from '../errors.js'
import { LogThrottle } from '../log-throttle.js'

/** At most one error line per gRPC code per this many ms for faults of the upstream call. */
export const UPSTREAM_FAULT_LOG_INTERVAL_MS = 10_000

/** What a fault line is written to. */
export interface FaultLogger {
  error (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  debug (obj: object, msg: string): void
}

const OVERLOADED = 'VBGW_OVERLOADED'

export class FaultLog {
  readonly #throttles = new Map<string, LogThrottle>()

  constructor (private readonly intervalMs = UPSTREAM_FAULT_LOG_INTERVAL_MS, private readonly now: () => number = Date.now) {}

  /** Log `err`, a server fault whose gRPC code is `grpcCode`, with `fields`. */
  write (log: FaultLogger, err: unknown, grpcCode: string, msg: string, fields: object = {}): void {
    const line = { ...fields, err, grpcCode }
    if ((err as { code?: unknown } | null)?.code === OVERLOADED) {
      const overload = { ...fields, code: OVERLOADED, grpcCode, message: (err as Error).message }
      const suppressed = this.#throttle(OVERLOADED).pass()
      if (suppressed === undefined) log.debug(overload, msg)
      else log.warn(suppressed > 0 ? { ...overload, suppressed } : overload, msg)
      return
    }
    if (!(err instanceof UpstreamError)) {
      log.error(line, msg)
      return
    }
    const suppressed = this.#throttle(grpcCode).pass()
    if (suppressed === undefined) log.debug(line, msg)
    else log.error(suppressed > 0 ? { ...line, suppressed } : line, msg)
  }

  #throttle (key: string): LogThrottle {
    let throttle = this.#throttles.get(key)
    if (throttle === undefined) this.#throttles.set(key, throttle = new LogThrottle(this.intervalMs, this.now))
    return throttle
  }
}
