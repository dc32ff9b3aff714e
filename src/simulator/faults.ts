/**
 * Fault injection for tests of the gateway's failure handling. Faults apply
 * to VBaseService calls only, never to the health service. Latency uses real
 * timers (it exists for deadline tests) and is cancelled when the simulator
 * stops listening or closes.
 */
import { Metadata, status } from '@grpc/grpc-js'
import type { MethodName } from '../upstream/contract.js'
import { GOOGLE_RPC, STATUS_DETAILS_KEY } from '../upstream/status-details.js'
import { RpcError, statusName } from './rpc-error.js'

/** The faults a test can switch on; `Simulator.clearFaults()` switches them all off. */
export interface Faults {
  /** Real-time delay before every VBaseService call is answered; 0 = none. */
  latencyMs: number
  /**
   * Fail the next `n` calls with `code` (and `message`), before auth or
   * validation; with `trailers`, sent as the status's trailing metadata
   * (e.g. `grpc-status-details-bin`, a google.rpc.Status with details).
   */
  failNext (n: number, code: status, message?: string, trailers?: Metadata): void
  /** Fail every `k`-th call from now on (the k-th, 2k-th...) with `code` (default UNAVAILABLE); `k` = 0 turns it off. */
  failEvery (k: number, code?: status, message?: string, trailers?: Metadata): void
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

/**
 * A google.rpc error detail to send: its `@type`
 * (`type.googleapis.com/google.rpc.BadRequest`) and the message's fields by
 * proto name, as protobufjs' `fromObject` takes them (a Duration is
 * `{ seconds, nanos }`).
 */
export interface DetailToSend {
  '@type': string
  [field: string]: unknown
}

/**
 * The trailers a gRPC server sends rich error details in, as VBase would:
 * `grpc-status-details-bin`, a google.rpc.Status of `code`, `message` and
 * `details`. For `failNext`'s and `failEvery`'s `trailers`.
 */
export function statusDetailsTrailers (code: status, message: string, details: readonly DetailToSend[]): Metadata {
  const Status = GOOGLE_RPC.lookupType('google.rpc.Status')
  const anys = details.map(({ '@type': typeUrl, ...fields }) => {
    const type = GOOGLE_RPC.lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1))
    return { type_url: typeUrl, value: type.encode(type.fromObject(fields)).finish() }
  })
  const trailers = new Metadata()
  trailers.set(STATUS_DETAILS_KEY, Buffer.from(Status.encode(Status.fromObject({ code, message, details: anys })).finish()))
  return trailers
}

/** A fault's error; grpc-js sends an error's `metadata` as the status's trailers. */
class FaultError extends RpcError {
  readonly metadata: Metadata | undefined
  constructor (code: status, message: string, trailers?: Metadata) {
    super(code, message)
    this.metadata = trailers
  }
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

  failNext (n: number, code: status, message = defaultMessage(code), trailers?: Metadata): void {
    if (count(n, 'n') > 0) this.failures.push({ left: n, error: new FaultError(code, message, trailers) })
  }

  failEvery (k: number, code: status = status.UNAVAILABLE, message = defaultMessage(code), trailers?: Metadata): void {
    this.every = count(k, 'k') === 0 ? undefined : { k, seen: 0, error: new FaultError(code, message, trailers) }
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
