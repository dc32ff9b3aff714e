/**
 * The vbase facade: the only way GraphQL and REST reach the upstream.
 * `call(method, request, ctx)` is typed by the contract; the list cache and
 * invalidation sit here so both surfaces behave the same.
 */
import type { CachedRead, ListCache } from '../cache/list-cache.js'
import type { CacheStats } from '../cache/stats.js'
import { contract, type MethodName, type RequestOf, type ResponseOf } from './contract.js'
import { scrubCredentials } from '../logger.js'
import type { HealthAnswer, UpstreamClient } from './client.js'
import type { CallContext } from './metadata.js'

/** How a read was served, for HTTP caching headers and X-Cache. */
export interface CallMeta {
  /**
   * `hit`: from a cached entry; `miss`: fetched and cached; `bypass`: fetched
   * without the cache (`Cache-Control: no-cache`, or the cache storage is
   * unavailable); `none`: a write, or no cache configured.
   */
  cache: 'hit' | 'miss' | 'bypass' | 'none'
  /** Strong validator of the response, stable while the cached entry lives. */
  etag?: string
  /** How much longer the response may be reused; 0 when it was not cached. */
  maxAgeMs?: number
}

/** The typed facade over VBaseService. */
export interface Vbase {
  call<M extends MethodName> (method: M, request: RequestOf<M>, ctx: CallContext): Promise<ResponseOf<M>>
  /** Like `call`, with how the result was served. */
  callWithMeta<M extends MethodName> (method: M, request: RequestOf<M>, ctx: CallContext): Promise<{ value: ResponseOf<M>, meta: CallMeta }>
  /** Cache counters per method (hits, misses, dedupes, bypasses, invalidations); undefined without a cache. */
  cacheStats (): CacheStats | undefined
  /**
   * True when the upstream answers its health check. Concurrent callers
   * share one check, and its answer is reused for `readyCacheMs`: /readyz is
   * unauthenticated and never rate limited, so it must not turn each
   * request into an upstream call.
   */
  ready (): Promise<boolean>
  /** The same shared, cached check as `ready`, with why it failed (for the log line of a readiness transition). */
  readiness (): Promise<HealthAnswer>
  close (): Promise<void>
}

export interface VbaseOptions {
  client: UpstreamClient
  /** The list cache; without it every read goes upstream. */
  cache?: ListCache
  /** How long a health check's answer is reused, ms; default READY_CACHE_MS. */
  readyCacheMs?: number
  /** Clock of that reuse; tests inject one. */
  now?: () => number
}

/** Default reuse of a health check's answer: at most one upstream check per second, however often /readyz is asked. */
export const READY_CACHE_MS = 1000

/**
 * A read's answer passed on unread: a cached value is parsed only if the
 * surface looks at it. A class, not a getter in an object literal, which
 * would give every answer a hidden class of its own (withDisconnectSignal
 * in src/rest/routes.ts says why that matters).
 */
class UnreadAnswer<V> {
  readonly #read: CachedRead
  readonly meta: CallMeta
  constructor (read: CachedRead) {
    this.#read = read
    this.meta = { cache: read.cache, etag: read.etag, maxAgeMs: read.maxAgeMs }
  }

  get value (): V {
    return this.#read.value as V
  }
}

/** Build the facade over an upstream client. */
export function createVbase (opts: VbaseOptions): Vbase {
  const { client, cache } = opts
  const readyCacheMs = opts.readyCacheMs ?? READY_CACHE_MS
  const now = opts.now ?? Date.now
  let checking: Promise<HealthAnswer> | undefined
  let lastCheck: { at: number, answer: HealthAnswer } | undefined
  async function callWithMeta<M extends MethodName> (method: M, request: RequestOf<M>, ctx: CallContext): Promise<{ value: ResponseOf<M>, meta: CallMeta }> {
    const info = contract.method(method)
    if (cache === undefined) {
      const value = await client.unary(info, request as object, ctx) as ResponseOf<M>
      return { value, meta: { cache: 'none' } }
    }
    if (info.read) {
      // As bytes: the cache does not decode an answer it has already rendered.
      const r = await cache.read(info, request as object, ctx, (c) => client.unary(info, request as object, c, { wire: true }))
      return new UnreadAnswer<ResponseOf<M>>(r)
    }
    const value = await cache.write(info, request as object, () => client.unary(info, request as object, ctx), ctx) as ResponseOf<M>
    return { value, meta: { cache: 'none' } }
  }
  function readiness (): Promise<HealthAnswer> {
    if (lastCheck !== undefined && now() - lastCheck.at < readyCacheMs) return Promise.resolve(lastCheck.answer)
    if (checking === undefined) {
      const asked = client.health !== undefined ? client.health() : client.healthy().then((ok): HealthAnswer => ok ? { ok } : { ok, cause: { code: 'NOT_SERVING', details: 'the health check failed' } })
      const check = asked.then((answer) => {
        lastCheck = { at: now(), answer }
        return answer
      }, (err: unknown): HealthAnswer => ({ ok: false, cause: { code: 'ERROR', details: scrubCredentials(err instanceof Error ? err.message : String(err)) } }))
        .finally(() => { checking = undefined })
      checking = check
    }
    return checking
  }
  return {
    async call (method, request, ctx) {
      return (await callWithMeta(method, request, ctx)).value
    },
    callWithMeta,
    cacheStats () {
      return cache?.stats()
    },
    async ready () {
      return (await readiness()).ok
    },
    readiness,
    async close () {
      client.close()
    }
  }
}
