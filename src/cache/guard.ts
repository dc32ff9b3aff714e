/**
 * Keeps a failing storage from failing requests. Every storage operation is
 * raced against a short timeout; on a failure the cache is bypassed for a
 * moment and the failure is logged at most once per interval. Invalidations
 * that could not be written are kept and replayed before the storage is
 * trusted again, so an entry cached before an outage is not served after a
 * write made during it. Other replicas sharing the storage only learn of
 * those invalidations from the replay, so it does not wait for this
 * process's next request: it is retried on a timer while any are kept, at
 * once when the storage says it is back (`replay`), and one last time at
 * `close`.
 */
import { errors } from '../errors.js'
import { LogThrottle } from '../log-throttle.js'
import type { CacheStorage, StoredEntry } from './storage.js'

/** Options of the guard. */
export interface GuardOptions {
  /** Longest wait for one storage operation; 0 for none, for a storage that cannot hang (memory). */
  timeoutMs: number
  /** After a failure, the storage is not tried again for this long; kept invalidations are retried as often. */
  retryAfterMs: number
  /** At most one "unavailable" log line per this many ms. */
  logIntervalMs: number
  /** Cache clock. */
  now: () => number
  logger: { warn (obj: object, msg: string): void, info (obj: object, msg: string): void }
  /** Called on every failure, e.g. to count it: of an operation, or of the connection (reported from outside). */
  onFailure?: (err: Error, kind: StorageFailure) => void
}

/** What failed: a storage operation, or the connection itself (a Redis reconnect attempt: no read waited on it). */
export type StorageFailure = 'operation' | 'connection'

/** Most references kept for replay; beyond this, further invalidations rely on the TTL alone. */
const MAX_PENDING_REFS = 10_000

/** A guarded storage: operations reject with VBGW_CACHE_UNAVAILABLE, quickly, when the storage is not usable. */
export interface GuardedStorage extends CacheStorage {
  /** False while the storage is being bypassed. */
  available (): boolean
  /** Report a failure seen outside an operation (e.g. a Redis connection error: `connection`). */
  report (err: Error, kind?: StorageFailure): void
  /**
   * The storage says it is usable again (e.g. Redis reconnected): end the
   * bypass now and write the kept invalidations. Never rejects; a failure is
   * reported like any other.
   */
  replay (): Promise<void>
}

/** Wrap a storage. */
export function guardStorage (inner: CacheStorage, opts: GuardOptions): GuardedStorage {
  let downUntil = 0
  let down = false
  const throttle = new LogThrottle(opts.logIntervalMs, opts.now)
  // Recovery is announced only after an outage that was announced, so a
  // flapping storage writes at most two lines per interval.
  let announced = false
  const pending = new Set<string>()
  const held = inner.held
  // Armed only while references are kept; unref'd, so it never holds the process open.
  let retryTimer: NodeJS.Timeout | undefined
  // Replays under way, so `close` can wait for them before its last one.
  const replaying = new Set<Promise<void>>()
  let closed = false

  const coolingDown = (): boolean => down && opts.now() < downUntil

  function report (err: Error, kind: StorageFailure = 'operation'): void {
    opts.onFailure?.(err, kind)
    downUntil = opts.now() + opts.retryAfterMs
    down = true
    const suppressed = throttle.pass()
    if (suppressed === undefined) return
    announced = true
    // The message of a Redis error names host and port, never credentials or keys.
    opts.logger.warn({ storage: inner.kind, err: { message: err.message }, suppressed },
      'cache storage unavailable: serving from the upstream without the cache')
  }

  function recovered (): void {
    if (!down) return
    down = false
    if (announced) opts.logger.info({ storage: inner.kind }, 'cache storage available again')
    announced = false
  }

  function schedule (delayMs = opts.retryAfterMs): void {
    if (closed || retryTimer !== undefined || pending.size === 0) return
    retryTimer = setTimeout(() => {
      retryTimer = undefined
      void replayKept()
    }, delayMs)
    retryTimer.unref()
  }

  /** Keep references for the next replay, up to the bound. */
  function keep (refs: Iterable<string>): void {
    for (const r of refs) if (pending.size < MAX_PENDING_REFS) pending.add(r)
    schedule()
  }

  async function bounded<T> (op: () => Promise<T>): Promise<T> {
    // No timer and no race per operation when there is nothing to wait for.
    if (opts.timeoutMs <= 0) return await op()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new errors.CacheUnavailable()), opts.timeoutMs)
    })
    try {
      return await Promise.race([op(), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Write the kept invalidations; on a failure they are kept again and the error rethrown. */
  async function flush (): Promise<void> {
    if (pending.size === 0) return
    // Taken out before the replay: an invalidation failing meanwhile
    // re-adds its references, and they must stay for the next replay.
    const refs = [...pending]
    pending.clear()
    const attempt = (async () => {
      try {
        await bounded(() => inner.invalidate(refs))
      } catch (err) {
        keep(refs)
        throw err
      }
    })()
    // Settles only once a failed attempt has kept its references again.
    const settled = attempt.then(() => {}, () => {})
    replaying.add(settled)
    void settled.then(() => replaying.delete(settled))
    await attempt
    if (pending.size === 0) {
      clearTimeout(retryTimer)
      retryTimer = undefined
    }
  }

  /** A replay outside any operation (timer, `replay`): failures are reported, never thrown. */
  async function replayKept (): Promise<void> {
    if (closed || pending.size === 0) return
    // Still in the bypass window: not a failure, just not yet. The timer is armed when
    // references are kept, just before the failure moves the window, so it can fire a
    // moment early: wait out what is left of the window, not a whole new interval.
    if (coolingDown()) {
      schedule(Math.max(1, downUntil - opts.now()))
      return
    }
    try {
      await flush()
      recovered()
    } catch (err) {
      report(err as Error)
    }
  }

  async function run<T> (op: () => Promise<T>): Promise<T> {
    if (coolingDown()) throw new errors.CacheUnavailable()
    try {
      // Not even an await when nothing is kept: this is every operation's path.
      if (pending.size > 0) await flush()
      const result = await bounded(op)
      recovered()
      return result
    } catch (err) {
      report(err as Error)
      throw err instanceof errors.CacheUnavailable ? err : new errors.CacheUnavailable()
    }
  }

  return {
    kind: inner.kind,
    available: () => !coolingDown(),
    report,
    async replay () {
      if (closed) return
      downUntil = Math.min(downUntil, opts.now())
      await replayKept()
    },
    sequence: () => run(() => inner.sequence()),
    get: (key) => run(() => inner.get(key)),
    // Only while nothing is pending: invalidations to replay go first, through `get`.
    ...(inner.peek === undefined
      ? {}
      : {
          peek (key: string): StoredEntry | undefined {
            if (coolingDown() || pending.size > 0) return undefined
            try {
              return inner.peek?.(key)
            } catch (err) {
              report(err as Error)
              return undefined
            }
          }
        }),
    set: (key: string, entry: StoredEntry, ttlMs: number) => run(() => inner.set(key, entry, ttlMs)),
    async invalidate (refs) {
      try {
        await run(() => inner.invalidate(refs))
      } catch (err) {
        keep(refs)
        throw err
      }
    },
    async close () {
      closed = true
      clearTimeout(retryTimer)
      retryTimer = undefined
      // One last attempt, bypass window or not: after this process is gone
      // nothing else would write these, and the other replicas would serve
      // what they hide until it expires. Each attempt is bounded by timeoutMs.
      try {
        await Promise.all(replaying)
        await flush()
      } catch (err) {
        opts.onFailure?.(err as Error, 'operation')
        opts.logger.warn({ storage: inner.kind, err: { message: (err as Error).message }, refs: pending.size },
          'cache invalidations not written at shutdown: entries they hide may be served by other replicas until they expire')
      }
      await inner.close()
    },
    ...(held === undefined ? {} : { held: () => held.call(inner) })
  }
}
