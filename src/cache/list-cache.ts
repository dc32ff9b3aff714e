/**
 * The list cache: reads go through it, writes invalidate through it. Keys
 * are per principal; in-flight identical reads share one upstream call;
 * answers are stored only if no reference they depend on was invalidated
 * while they were being fetched. The cache never fails a request: when the
 * storage does, the read is served from the upstream.
 *
 * A hit never asks VBase, so it cannot tell a revoked token from a good
 * one. An entry is served only within `tokenRecheckMs` of the last time
 * VBase answered its principal: when the entry itself was fetched (any
 * replica's, since entries are per principal), or when this replica last
 * had a read of that principal answered. Past that, the read goes to VBase
 * (a miss), which vouches for the token again or refuses it. A revoked
 * token thus reads cached lists for at most that long, not for a TTL.
 */
import { status as GrpcStatus } from '@grpc/grpc-js'
import { BoundedMap } from '../bounded-map.js'
import { deepFreeze } from '../deep-freeze.js'
import { OUTCOME_UNKNOWN, safeUpstreamError, UpstreamError } from '../errors.js'
import type { MethodInfo } from '../upstream/contract.js'
import type { CallContext, CancelSignal } from '../upstream/metadata.js'
import { WireAnswer } from '../upstream/wire.js'
import { WeightedLru } from '../weighted-lru.js'
import type { GuardedStorage } from './guard.js'
import type { StoredEntry } from './storage.js'
import { bytesDigest, entryKey, etagOf, type PrincipalOf } from './keys.js'
import { holdsUnfinishedJob, inFlightTouchedBy, readReferences, writeInvalidates } from './references.js'
import { StatsRecorder, type CacheHooks, type CacheStats } from './stats.js'

/** How a read was served. */
export type CacheOutcome = 'hit' | 'miss' | 'bypass'

/** A read's answer, with what the surfaces show about it. */
export interface CachedRead {
  value: object
  cache: CacheOutcome
  etag: string
  /** Remaining lifetime of the entry; 0 when the answer was not stored. */
  maxAgeMs: number
}

/**
 * A CachedRead whose value is made when first read. A class, not a getter
 * in an object literal, which would give every answer a hidden class of
 * its own (withDisconnectSignal in src/rest/routes.ts says why that matters).
 */
class Answer implements CachedRead {
  #make: (() => object) | undefined
  #value: object | undefined
  constructor (make: () => object, readonly cache: CacheOutcome, readonly etag: string, readonly maxAgeMs: number) {
    this.#make = make
  }

  get value (): object {
    if (this.#make !== undefined) {
      this.#value = this.#make()
      this.#make = undefined
    }
    return this.#value as object
  }
}

/** Options of the list cache. */
export interface ListCacheOptions {
  storage: GuardedStorage
  /** The app's principal function (principalHasher): entries are per principal. */
  principal: PrincipalOf
  ttlMs: number
  /** TTL of a list holding a PENDING or RUNNING job (capped by ttlMs). */
  pendingTtlMs: number
  /**
   * After a write whose outcome is unknown (it timed out, or the connection
   * dropped), invalidate what it touches once more this long after: the
   * upstream may apply it after the gateway gave up, and a read in between
   * would cache the list without it. 0: only at once.
   */
  recheckUnknownMs?: number
  /**
   * The upstream's default deadline (UPSTREAM_TIMEOUT_MS). A caller without
   * a deadline of its own who joined a read that came back superseded asks
   * again within this much of when it asked, not a fresh full deadline.
   */
  timeoutMs?: number
  /**
   * How long after VBase last answered a read for a principal its cached
   * entries are served (CACHE_TOKEN_RECHECK_MS); its next read after that
   * goes upstream. Default: ttlMs (no sooner than the entries expire).
   */
  tokenRecheckMs?: number
  /** Principals whose last answer is remembered; past it the oldest is forgotten (and rechecked). Default 10000. */
  maxPrincipals?: number
  /** Bytes of renderings kept; default RENDERINGS_MAX_BYTES, 0: none kept (every answer is rendered). */
  renderingsMaxBytes?: number
  /** Bytes of parsed answers kept, as PARSED_BYTES_PER_CHAR counts them; default PARSED_MAX_BYTES, 0: none kept (every value is parsed). */
  parsedMaxBytes?: number
  /** Cache clock; tests inject one to move time without sleeping. */
  now?: () => number
  hooks?: CacheHooks
  stats?: StatsRecorder
}

/**
 * Refusals of a write that say the state differs from what the caller
 * expected: the backup or policy is not there (NOT_FOUND), the name is
 * taken (ALREADY_EXISTS), the backup is not in a state for it
 * (FAILED_PRECONDITION, ABORTED). The caller most likely acted on a list,
 * and that list, cached, may be what is out of date (a change the gateway
 * did not see): what the write would have touched is dropped, so the next
 * read shows the state VBase just described.
 */
const CONTRADICTS_LISTS: ReadonlySet<number> = new Set<number>([GrpcStatus.NOT_FOUND, GrpcStatus.ALREADY_EXISTS, GrpcStatus.FAILED_PRECONDITION, GrpcStatus.ABORTED])

/** VBase refused the caller's credential (UNAUTHENTICATED): see `refused` in createListCache. */
function refusesCredential (err: unknown): boolean {
  return err instanceof UpstreamError && err.grpcCode === GrpcStatus.UNAUTHENTICATED
}

/** Reads lasting longer than this are not stored (the versions they were checked against may have expired). */
export const MAX_READ_AGE_MS = 60_000

/** Bytes of renderings kept (wire bytes plus the JSON at two bytes a character), default; see `Rendering`. */
export const RENDERINGS_MAX_BYTES = 8 * 1024 * 1024

/**
 * Bytes counted per character of an answer's JSON for its parsed value:
 * the value, and what GraphQL keeps beside it (the nodes mapped from it,
 * its sorted lists), take several times the JSON's size.
 */
export const PARSED_BYTES_PER_CHAR = 8

/** Bytes of parsed answers kept, default (about 2 MiB of JSON); see `ListCache.read`. */
export const PARSED_MAX_BYTES = 16 * 1024 * 1024

/**
 * An upstream answer as the cache keeps it, and all it derives from it: its
 * JSON, its ETag, whether it holds a job still moving, and the references
 * it names itself (an organization's list names the services it holds).
 * Each is a function of the answer's bytes alone, so an answer whose bytes
 * were rendered before is not decoded, rendered or hashed again: a no-cache
 * read, or a miss after an entry expired, mostly gets back what it got
 * last time. Kept by the bytes' digest, checked byte for byte, shared by
 * every caller who receives those bytes: what a caller gets is still
 * exactly what VBase answered that caller.
 */
interface Rendering {
  body: string
  etag: string
  unfinished: boolean
  answerRefs: readonly string[]
}

/**
 * An answer as all waiters of one read share it. `value` is the decoded
 * upstream answer on a fetch: the parsed value of `body` unless one is
 * kept already (see `ListCache.read`).
 */
interface Shared {
  body: string
  etag: string
  expiresAt: number
  cache: CacheOutcome
  value?: object
  /**
   * A write invalidated what this answer depends on while it was fetched,
   * or the storage could not say it did not. The write may have completed
   * before a caller joined this read (on another replica, whose
   * invalidation reaches this one only through the storage): a caller that
   * joined must ask again.
   */
  superseded?: true
}

/** A read in flight, and whether a write of these references may change its answer. */
interface InFlight {
  promise: Promise<Shared>
  touchedBy: (written: readonly string[]) => boolean
}

/** The list cache of one app instance. */
export interface ListCache {
  /**
   * Serve a read from the cache or through `fetch` (the upstream call),
   * which answers the decoded message or a WireAnswer.
   *
   * The answer's `value` is parsed when first read, deep-frozen, and kept
   * by method and ETag (checked against the JSON itself): every read of
   * the same JSON, by any caller, gets the same frozen object, which
   * GraphQL maps to nodes once (loaders.ts). That leaks nothing: a caller
   * reaches only a value of the exact answer it was served, its own entry
   * or what VBase sent it. Frozen, it cannot carry one request's changes
   * into another: a write to it throws.
   */
  read (method: MethodInfo, request: object, ctx: CallContext, fetch: (ctx: CallContext) => Promise<object>): Promise<CachedRead>
  /**
   * Run a write through `send`, then invalidate what it touched. With the
   * caller's `ctx`, a refusal of its credential also stops its cached
   * lists from being served (as a read's does).
   */
  write (method: MethodInfo, request: object, send: () => Promise<object>, ctx?: CallContext): Promise<object>
  stats (): CacheStats
  close (): Promise<void>
}

/** Build a list cache over a guarded storage. */
export function createListCache (opts: ListCacheOptions): ListCache {
  const { storage, principal } = opts
  const now = opts.now ?? Date.now
  const stats = opts.stats ?? new StatsRecorder(opts.hooks)
  /** Reads in flight by key, with what a write must touch to drop them (see `invalidate`). */
  const inflight = new Map<string, InFlight>()
  /** Rechecks of writes of unknown outcome, by timer: what each will invalidate. */
  const rechecks = new Map<NodeJS.Timeout, () => Promise<void>>()
  /** When VBase last answered a read for each principal: when that call started. */
  const vouched = new BoundedMap<string, number>(opts.maxPrincipals ?? 10_000)
  /**
   * When VBase last refused each principal's credential (UNAUTHENTICATED,
   * on a read or a write through this replica): what was fetched for it up
   * to then is not served again, whatever CACHE_TOKEN_RECHECK_MS would
   * allow. A revoked token learns so on its next call that reaches VBase,
   * and reads nothing cached after it.
   */
  const refused = new BoundedMap<string, number>(opts.maxPrincipals ?? 10_000)
  const recheckMs = opts.tokenRecheckMs ?? opts.ttlMs
  /** Renderings of wire answers by method and digest (see `Rendering`). */
  const renderings = new WeightedLru<string, { bytes: Buffer, rendering: Rendering }>(opts.renderingsMaxBytes ?? RENDERINGS_MAX_BYTES)
  /** Parsed answers by method and ETag, frozen (see `read`). */
  const parsed = new WeightedLru<string, { body: string, value: object }>(opts.parsedMaxBytes ?? PARSED_MAX_BYTES)
  /**
   * True while `entry` may be served to `who` without asking VBase: it was
   * fetched lately (the time it carries; an entry from before it was kept
   * expires a TTL after it was fetched, and a list of unfinished jobs, kept
   * less, counts as older), or this replica heard from VBase for `who`
   * lately. The time is the fetching replica's clock, as the expiry is.
   */
  const servable = (entry: StoredEntry, who: string): boolean => {
    const at = now()
    if (entry.expiresAt <= at) return false
    const fetchedAt = entry.fetchedAt ?? entry.expiresAt - opts.ttlMs
    const refusedAt = refused.get(who)
    if (refusedAt !== undefined && fetchedAt <= refusedAt) return false
    if (at - fetchedAt < recheckMs) return true
    const heard = vouched.get(who)
    return heard !== undefined && at - heard < recheckMs
  }
  let closed = false

  /** VBase refused `who`'s credential just now: forget that it vouched for it (see `refused`). */
  function refuse (who: string): void {
    vouched.delete(who)
    // Re-inserted, so the bound forgets the principal refused longest ago.
    refused.delete(who)
    refused.set(who, now())
  }

  /** The frozen value of `shared`'s JSON, kept or made now from what `decoded` holds or from the JSON. */
  function valueOf (method: MethodInfo, shared: Shared, decoded: object | undefined): object {
    const key = `${method.name} ${shared.etag}`
    const known = parsed.get(key)
    if (known !== undefined && known.body === shared.body) return known.value
    const value = deepFreeze(decoded ?? JSON.parse(shared.body) as object)
    parsed.set(key, { body: shared.body, value }, shared.body.length * PARSED_BYTES_PER_CHAR)
    return value
  }

  function answer (method: MethodInfo, shared: Shared, cache: CacheOutcome = shared.cache): CachedRead {
    // Made only when read: REST serves a hit it has already rendered (by
    // ETag) without looking at the value.
    const decoded = shared.value
    shared.value = undefined
    return new Answer(() => valueOf(method, shared, decoded), cache, shared.etag, Math.max(0, shared.expiresAt - now()))
  }

  /** Render an answer; the decoded value comes along when it had to be decoded. */
  function renderValue (method: MethodInfo, value: object): Rendering & { value: object } {
    const body = JSON.stringify(value)
    return { body, etag: etagOf(body), unfinished: holdsUnfinishedJob(value), answerRefs: readReferences(method.name, undefined, value), value }
  }

  function render (method: MethodInfo, fetched: object): Rendering & { value?: object } {
    if (!(fetched instanceof WireAnswer)) return renderValue(method, fetched)
    const { bytes } = fetched
    const key = `${method.name} ${bytesDigest(bytes)}`
    const known = renderings.get(key)
    if (known !== undefined && known.bytes.equals(bytes)) return known.rendering
    const rendered = renderValue(method, fetched.decode())
    const { value: _, ...rendering } = rendered
    // A copy: the bytes grpc-js handed over may be a view of a larger buffer.
    renderings.set(key, { bytes: Buffer.from(bytes), rendering }, bytes.length + rendering.body.length * 2)
    return rendered
  }

  /** Go upstream and store the answer unless a write invalidated it meanwhile. */
  async function load (method: MethodInfo, request: object, key: string, who: string, ctx: CallContext,
    fetch: (ctx: CallContext) => Promise<object>, cache: CacheOutcome): Promise<Shared> {
    // Captured before the upstream call: any invalidation after this point wins.
    const stamp = await storage.sequence().catch(() => undefined)
    const started = now()
    let fetched: object
    try {
      fetched = await fetch(ctx)
    } catch (err) {
      if (refusesCredential(err)) refuse(who)
      throw err
    }
    // Re-inserted, so the bound forgets the principal heard from longest ago.
    vouched.delete(who)
    vouched.set(who, started)
    const { body, etag, unfinished, answerRefs, value } = render(method, fetched)
    const ttl = unfinished ? Math.min(opts.ttlMs, opts.pendingTtlMs) : opts.ttlMs
    const expiresAt = now() + ttl
    // No stamp (the storage is down): answered, not stored, and shared as it is. Asking again
    // for every joiner doubled the calls of an outage and left them half a deadline (504s).
    if (stamp === undefined || ttl <= 0 || now() - started > MAX_READ_AGE_MS) return { body, etag, expiresAt: 0, cache, value }
    const refs = [...new Set([...readReferences(method.name, request, undefined), ...answerRefs])]
    const outcome = await storage.set(key, { body, etag, expiresAt, stamp, refs, fetchedAt: started }, ttl).catch(() => undefined)
    const shared: Shared = { body, etag, expiresAt: outcome === 'stored' ? expiresAt : 0, cache, value }
    if (outcome === 'superseded' || outcome === undefined) shared.superseded = true
    return shared
  }

  async function lookup (method: MethodInfo, request: object, key: string, who: string, ctx: CallContext,
    fetch: (ctx: CallContext) => Promise<object>): Promise<Shared> {
    let entry
    try {
      entry = await storage.get(key)
    } catch {
      stats.count(method.name, 'bypasses')
      return await load(method, request, key, who, ctx, fetch, 'bypass')
    }
    if (entry !== undefined && servable(entry, who)) {
      stats.count(method.name, 'hits')
      return { body: entry.body, etag: entry.etag, expiresAt: entry.expiresAt, cache: 'hit' }
    }
    stats.count(method.name, 'misses')
    return await load(method, request, key, who, ctx, fetch, 'miss')
  }

  return {
    async read (method, request, ctx, fetch) {
      let key: string
      let who: string
      try {
        who = principal(ctx.headers.authorization)
        key = entryKey(method, request, who)
      } catch {
        // A request the proto cannot even normalize: the upstream judges it, uncached.
        stats.count(method.name, 'bypasses')
        const { body, etag, value } = render(method, await fetch(ctx))
        return answer(method, { body, etag, expiresAt: 0, cache: 'bypass', value })
      }
      // A hit the storage answers without waiting is answered at once: no
      // shared promise, no watch on the caller's signal or deadline.
      if (ctx.noCache !== true && storage.peek !== undefined) {
        const entry = storage.peek(key)
        if (entry !== undefined && servable(entry, who)) {
          stats.count(method.name, 'hits')
          return answer(method, { body: entry.body, etag: entry.etag, expiresAt: entry.expiresAt, cache: 'hit' })
        }
      }
      // The shared call must not die with the first caller's HTTP request nor
      // end at its deadline: it runs to the default deadline, and each
      // waiter watches its own signal and its own deadline instead.
      const { signal, timeoutMs, ...shared } = ctx
      if (ctx.noCache === true) {
        stats.count(method.name, 'bypasses')
        // Not shared with anyone: the caller's own signal may cancel it.
        return answer(method, await load(method, request, key, who, ctx, fetch, 'bypass'))
      }
      const share = (): Promise<Shared> => {
        const started = lookup(method, request, key, who, shared, fetch)
        const entry: InFlight = { promise: started, touchedBy: inFlightTouchedBy(method.name, request) }
        inflight.set(key, entry)
        started.then(() => {}, () => {}).finally(() => { if (inflight.get(key) === entry) inflight.delete(key) })
        return started
      }
      const pending = inflight.get(key)?.promise
      if (pending === undefined) return answer(method, await ownTerms(share(), signal, timeoutMs))
      const asked = performance.now()
      stats.count(method.name, 'dedupes')
      const joined = await ownTerms(pending, signal, timeoutMs)
      if (joined.superseded !== true) return answer(method, joined)
      // Ask again. Whatever read of this key is in flight now began after
      // the superseded one ended, so after this caller asked, and after any
      // write that had completed by then. Within the caller's deadline, or
      // the default one, counted from when it asked; a read started now runs
      // to its own default deadline for whoever else joins it, as any does.
      const limit = timeoutMs ?? opts.timeoutMs
      const left = limit === undefined ? undefined : Math.max(0, limit - (performance.now() - asked))
      const current = inflight.get(key)?.promise
      const again = current === undefined || current === pending ? share() : current
      return answer(method, await ownTerms(again, signal, left))
    },

    async write (method, request, send, ctx) {
      let value: object
      try {
        value = await send()
      } catch (err) {
        if (ctx !== undefined && refusesCredential(err)) refuse(principal(ctx.headers.authorization))
        if (err instanceof UpstreamError && OUTCOME_UNKNOWN.has(err.grpcCode)) {
          await invalidate(method, request, undefined)
          recheck(method, request)
        } else if (err instanceof UpstreamError && CONTRADICTS_LISTS.has(err.grpcCode)) {
          // Nothing was written, but what VBase said disagrees with lists
          // that may be cached (the backup is gone, the name is taken):
          // they are dropped, not counted as a write's invalidation.
          await invalidate(method, request, undefined, false)
        }
        throw err
      }
      await invalidate(method, request, value)
      return value
    },

    stats: () => stats.snapshot(storage.kind, storage.available(), storage.held?.()),

    async close () {
      closed = true
      // Run now, not dropped: after this process is gone no one would, and
      // other replicas could serve a list the late write changed for a TTL.
      const pending = [...rechecks]
      rechecks.clear()
      for (const [timer] of pending) clearTimeout(timer)
      await Promise.all(pending.map(([, run]) => run()))
      await storage.close()
    }
  }

  /** Invalidate a write of unknown outcome again, in case the upstream applies it late. */
  function recheck (method: MethodInfo, request: object): void {
    const ms = opts.recheckUnknownMs ?? 0
    if (ms <= 0 || closed) return
    // The same write again, not another one: not counted a second time.
    const run = (): Promise<void> => invalidate(method, request, undefined, false)
    const timer = setTimeout(() => {
      rechecks.delete(timer)
      void run()
    }, ms)
    timer.unref()
    rechecks.set(timer, run)
  }

  async function invalidate (method: MethodInfo, request: object, response: object | undefined, count = true): Promise<void> {
    const refs = writeInvalidates(method.name, request, response)
    // Reads in flight that this write may touch started before it: later
    // callers must not join them. Reads it cannot touch stay shared.
    for (const [key, entry] of inflight) if (entry.touchedBy(refs)) inflight.delete(key)
    try {
      if (refs.length === 0) return
      if (count) stats.count(method.name, 'invalidations', refs)
      // On failure the guard keeps the references and replays them first thing.
      await storage.invalidate(refs)
    } catch {
      // The write is confirmed; the cache must not turn it into an error.
    }
  }
}

/**
 * A waiter's view of a shared read: rejects with CANCELLED when its caller
 * goes away, or with DEADLINE_EXCEEDED at its own deadline, without
 * cancelling the shared call (others may still be waiting for it, and its
 * answer is still worth caching).
 */
function ownTerms<T> (promise: Promise<T>, signal: CancelSignal | undefined, timeoutMs: number | undefined): Promise<T> {
  if (signal === undefined && timeoutMs === undefined) return promise
  if (signal?.aborted === true) return Promise.reject(safeUpstreamError(GrpcStatus.CANCELLED))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(safeUpstreamError(GrpcStatus.CANCELLED))
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => reject(safeUpstreamError(GrpcStatus.DEADLINE_EXCEEDED)), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    })
  })
}
