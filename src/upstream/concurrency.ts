/**
 * A cap on upstream calls in flight, across all callers. When the upstream
 * slows down, calls would otherwise pile up without bound (each holding a
 * request, its memory and a slot on the channel) until everything times out
 * at once. With the cap, a call beyond it waits briefly in a FIFO queue and,
 * if no slot frees up in time, fails at once with 503 VBGW_OVERLOADED: the
 * caller learns early and can retry, and the upstream sees a bounded load.
 *
 * It wraps the upstream client, below the cache: cache hits and deduped
 * reads never take a slot, only real calls do. A retried read keeps its
 * slot across attempts. Health checks bypass the cap (readiness must not
 * queue behind traffic). The call's deadline counts from its arrival here,
 * not from when it got a slot: UPSTREAM_TIMEOUT_MS bounds the whole call.
 */
import { status as GrpcStatus } from '@grpc/grpc-js'
import { errors, safeUpstreamError } from '../errors.js'
import type { UpstreamClient } from './client.js'
import type { CallContext, CancelSignal } from './metadata.js'

/** How many calls may run at once, and how long the others may wait. */
export interface ConcurrencyLimitOptions {
  /** Calls in flight at once; at least 1. */
  max: number
  /** Longest wait for a slot, ms; 0 refuses at once when every slot is taken. */
  queueTimeoutMs: number
}

/** A counting gate with a bounded wait. */
export interface ConcurrencyLimit {
  /**
   * Run `fn` once a slot is free. Rejects with VBGW_OVERLOADED when none frees
   * within the queue timeout, or with CANCELLED when `signal` aborts first.
   */
  run<T> (fn: () => Promise<T>, signal?: CancelSignal): Promise<T>
  /** Calls running now. */
  readonly active: number
  /** Calls waiting for a slot now. */
  readonly queued: number
}

interface Waiter {
  start (): void
  fail (err: Error): void
}

/** Check the options once, at boot. */
export function parseConcurrencyLimitOptions (opts: ConcurrencyLimitOptions): ConcurrencyLimitOptions {
  if (!Number.isInteger(opts.max) || opts.max < 1) throw new errors.InvalidConfig('the upstream concurrency cap must be a positive integer')
  if (!Number.isInteger(opts.queueTimeoutMs) || opts.queueTimeoutMs < 0) throw new errors.InvalidConfig('the upstream queue timeout must be a non-negative integer')
  return opts
}

/** Create a gate allowing `max` concurrent calls; the rest wait up to `queueTimeoutMs`, first come first served. */
export function createConcurrencyLimit (options: ConcurrencyLimitOptions): ConcurrencyLimit {
  const { max, queueTimeoutMs } = parseConcurrencyLimitOptions(options)
  let active = 0
  const queue: Waiter[] = []

  const release = (): void => {
    active--
    const next = queue.shift()
    if (next !== undefined) next.start()
  }

  return {
    get active () { return active },
    get queued () { return queue.length },
    run (fn, signal) {
      return new Promise((resolve, reject) => {
        const go = (): void => {
          active++
          // fn may throw synchronously: treat it like a rejection.
          Promise.resolve().then(fn).then(resolve, reject).finally(release)
        }
        if (signal?.aborted === true) { reject(safeUpstreamError(GrpcStatus.CANCELLED)); return }
        if (active < max) { go(); return }
        if (queueTimeoutMs === 0) { reject(new errors.Overloaded()); return }

        const leave = (): void => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          const i = queue.indexOf(waiter)
          if (i !== -1) queue.splice(i, 1)
        }
        const waiter: Waiter = {
          start: () => { leave(); go() },
          fail: (err) => { leave(); reject(err) }
        }
        const onAbort = (): void => waiter.fail(safeUpstreamError(GrpcStatus.CANCELLED))
        const timer = setTimeout(() => waiter.fail(new errors.Overloaded()), queueTimeoutMs)
        signal?.addEventListener('abort', onAbort, { once: true })
        queue.push(waiter)
      })
    }
  }
}

/** The same client, with every unary call going through `limit`. */
export function limitUpstreamConcurrency (client: UpstreamClient, limit: ConcurrencyLimit): UpstreamClient {
  return {
    ...client,
    unary: (method, request, ctx, opts) => {
      const entered: CallContext = ctx.startedAt === undefined ? { ...ctx, startedAt: Date.now() } : ctx
      return limit.run(() => client.unary(method, request, entered, opts), ctx.signal)
    }
  }
}
