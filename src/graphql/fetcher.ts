/**
 * One GraphQL request's way to the upstream, built per request and so per
 * caller: reads are memoized by method and request for the life of the
 * operation (the same key anywhere in it makes one call, whichever field or
 * loader batch asks), every call waits for one of a few slots (a bounded
 * fan-out), and writes drop the memo so what a mutation selects afterwards
 * is read fresh. Requests are validated before any upstream call.
 *
 * The fetcher also counts the request's calls, a batch's operations
 * together (mercurius builds one context per HTTP request): past
 * `maxCalls`, a read or write fails with VBGW_TOO_MANY_UPSTREAM_CALLS
 * instead of starting, and only the fields that needed it are null. A
 * memoized read is not a new call. A read answered by the list cache counts
 * as one all the same, so whether a request fits does not depend on what
 * the cache holds at that moment.
 */
import { errors } from '../errors.js'
import type { MethodName, RequestOf, ResponseOf } from '../upstream/contract.js'
import type { CallContext } from '../upstream/metadata.js'
import { validateRequest, type ValidateOptions } from '../upstream/validate.js'
import type { Vbase } from '../upstream/vbase.js'

export type { RequestOf, ResponseOf }

/** Upstream calls one GraphQL request runs at once; the rest queue. */
export const MAX_CONCURRENT_CALLS = 8

/** A p-limit style gate: `run(fn)` starts `fn` when fewer than `max` are running. */
export interface Limiter {
  run<T> (fn: () => Promise<T>): Promise<T>
  /** Calls running now. */
  readonly active: number
}

/** Create a limiter allowing `max` concurrent tasks, started in arrival order. */
export function createLimiter (max: number): Limiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer')
  const queue: Array<() => void> = []
  const release = (): void => {
    limiter.active--
    const next = queue.shift()
    if (next !== undefined) next()
  }
  // Counts are data properties, not getters: a getter in an object literal
  // gives each request's object a hidden class of its own
  // (withDisconnectSignal in src/rest/routes.ts says why that matters).
  const limiter: Mutable<Limiter> = {
    active: 0,
    run (fn) {
      return new Promise((resolve, reject) => {
        const start = (): void => {
          limiter.active++
          // Through a promise, so a synchronous throw in fn rejects this task
          // and still frees its slot, instead of escaping from `release`.
          Promise.resolve().then(fn).then(resolve, reject).finally(release)
        }
        if (limiter.active < max) start()
        else queue.push(start)
      })
    }
  }
  return limiter
}

/** `T` with its read-only properties writable, for the object that keeps them. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** The per-request upstream access GraphQL resolvers use. */
export interface Fetcher {
  /** A read, memoized for this request; validated first. */
  read<M extends MethodName> (method: M, request: RequestOf<M>, opts?: ValidateOptions): Promise<ResponseOf<M>>
  /** A write: validated, sent once, and the read memo dropped. */
  write<M extends MethodName> (method: M, request: RequestOf<M>, opts?: ValidateOptions): Promise<ResponseOf<M>>
  /**
   * True once a read or a write of this request was answered, by VBase or
   * by the caller's own cache entries: VBase accepted the caller's token.
   */
  readonly answered: boolean
}

/** Bounds of one request's fetcher. */
export interface FetcherOptions {
  /** Calls the request may start in all (GRAPHQL_MAX_UPSTREAM_CALLS). */
  maxCalls: number
  /** Calls running at once; the rest queue (MAX_CONCURRENT_CALLS). */
  maxConcurrent?: number
}

/** Build the fetcher of one request over the facade, with the caller's call context. */
export function createFetcher (vbase: Vbase, ctx: CallContext, bounds: FetcherOptions): Fetcher {
  const limiter = createLimiter(bounds.maxConcurrent ?? MAX_CONCURRENT_CALLS)
  let memo = new Map<string, Promise<unknown>>()
  let calls = 0
  const answer = (): void => { fetcher.answered = true }
  /** Take one call from the request's budget, or refuse it. */
  const spend = (): void => {
    if (calls >= bounds.maxCalls) throw new errors.TooManyUpstreamCalls(bounds.maxCalls)
    calls++
  }

  // `answered` is a data property, as the limiter's counts are.
  const fetcher: Mutable<Fetcher> = {
    answered: false,
    read (method, request, opts) {
      validateRequest(method, request as Record<string, unknown>, opts)
      // Requests are small flat objects built by the resolvers: their JSON is a stable key.
      const key = `${method}:${JSON.stringify(request)}`
      let pending = memo.get(key) as Promise<ResponseOf<typeof method>> | undefined
      if (pending === undefined) {
        spend()
        pending = limiter.run(() => vbase.call(method, request, ctx))
        pending.then(answer, () => {})
        // Failures are remembered too: one response never holds two answers to one question.
        memo.set(key, pending)
      }
      return pending
    },
    async write (method, request, opts) {
      validateRequest(method, request as Record<string, unknown>, opts)
      spend()
      try {
        const response = await limiter.run(() => vbase.call(method, request, ctx))
        answer()
        return response
      } finally {
        // Even a failed write may have changed something upstream.
        memo = new Map()
      }
    }
  }
  return fetcher
}
