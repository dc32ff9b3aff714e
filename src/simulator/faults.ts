/**
 * Fault injection for tests of the gateway's failure handling. Faults apply
 * to VBaseService calls only, never to the health service. Latency uses real
 * timers (it exists for deadline tests) and is cancelled when the simulator
 * stops listening or closes.
 */
import { status } from '@grpc/grpc-js'
import type { MethodName } from '../upstream/contract.js'
import { RpcError, statusName } from './rpc-error.js'

/** The faults a test can switch on; `Simulator.clearFaults()` switches them all off. */
export interface Faults {
  /** Real-time delay before every VBaseService call is answered; 0 = none. */
  latencyMs: number
  /** Fail the next `n` calls with `code` (and `message`), before auth or validation. */
  failNext (n: number, code: status, message?: string): void
  /** Fail every `k`-th call from now on (the k-th, 2k-th...) with `code` (default UNAVAILABLE); `k` = 0 turns it off. */
  failEvery (k: number, code?: status, message?: string): void
  /** Answer these methods UNIMPLEMENTED, like an upstream that lacks them. */
  unimplemented (...methods: MethodName[]): void
  /** The next job created (backup, restore or policy run) ends FAILED with `message`. */
  failNextJob (message: string): void
}

interface PendingDelay {
  timer: NodeJS.Timeout
  resolve: (completed: boolean) => void
}

function defaultMessage (code: status): string {
  return `simulated fault: ${statusName(code)}`
}

function count (value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`)
  return value
}

/** The fault state and the checks the server runs on each call. */
export class FaultInjector implements Faults {
  latencyMs = 0
  private failures: Array<{ left: number, error: RpcError }> = []
  private every: { k: number, seen: number, error: RpcError } | undefined
  private readonly missing = new Set<MethodName>()
  private jobFailures: string[] = []
  private readonly delays = new Set<PendingDelay>()

  failNext (n: number, code: status, message = defaultMessage(code)): void {
    if (count(n, 'n') > 0) this.failures.push({ left: n, error: new RpcError(code, message) })
  }

  failEvery (k: number, code: status = status.UNAVAILABLE, message = defaultMessage(code)): void {
    this.every = count(k, 'k') === 0 ? undefined : { k, seen: 0, error: new RpcError(code, message) }
  }

  unimplemented (...methods: MethodName[]): void {
    for (const m of methods) this.missing.add(m)
  }

  failNextJob (message: string): void {
    this.jobFailures.push(message)
  }

  /** Switch every fault off (pending delays run out as they were). */
  clear (): void {
    this.latencyMs = 0
    this.failures = []
    this.every = undefined
    this.missing.clear()
    this.jobFailures = []
  }

  /**
   * Wait out the configured latency on a real timer. Resolves true when the
   * wait ran out, false when it was cancelled by `cancelDelays`.
   */
  delay (): Promise<boolean> {
    const ms = this.latencyMs
    if (!(ms > 0)) return Promise.resolve(true)
    return new Promise((resolve) => {
      const pending: PendingDelay = {
        timer: setTimeout(() => { this.delays.delete(pending); resolve(true) }, ms),
        resolve
      }
      this.delays.add(pending)
    })
  }

  /** End every pending delay now, as cancelled: the server is going away. */
  cancelDelays (): void {
    for (const pending of this.delays) {
      clearTimeout(pending.timer)
      pending.resolve(false)
    }
    this.delays.clear()
  }

  /**
   * The error a call to `method` must answer, if a fault says so. Each call
   * counts once toward `failEvery` and uses up one `failNext`.
   */
  take (method: MethodName, path: string): RpcError | undefined {
    if (this.missing.has(method)) return new RpcError(status.UNIMPLEMENTED, `The server does not implement the method ${path}`)
    let error: RpcError | undefined
    if (this.every !== undefined && ++this.every.seen % this.every.k === 0) error = this.every.error
    const next = this.failures[0]
    if (next !== undefined) {
      error = next.error
      if (--next.left === 0) this.failures.shift()
    }
    return error
  }

  /** The failure message for a job being created now, if `failNextJob` asked for one. */
  takeJobFailure (): string | undefined {
    return this.jobFailures.shift()
  }
}
