/**
 * Keeps a failing storage from failing requests. Every storage operation is
 * raced against a short timeout; on a failure the cache is bypassed for a
 * moment and the failure is logged at most once per interval. Invalidations
 * that could not be written are kept and replayed before the storage is
 * trusted again, so an entry cached before an outage is not served after a
 * write made during it.
 */
import { errors } from '../errors.js'
import { LogThrottle } from '../log-throttle.js'
import type { CacheStorage, StoredEntry } from './storage.js'

/** Options of the guard. */
export interface GuardOptions {
  /** Longest wait for one storage operation; 0 for none, for a storage that cannot hang (memory). */
  timeoutMs: number
  /** After a failure, the storage is not tried again for this long. */
  retryAfterMs: number
  /** At most one "unavailable" log line per this many ms. */
  logIntervalMs: number
  /** Cache clock. */
  now: () => number
  logger: { warn (obj: object, msg: string): void, info (obj: object, msg: string): void }
  /** Called on every failure, e.g. to count it. */
  onFailure?: (err: Error) => void
}

/** Most references kept for replay; beyond this, further invalidations rely on the TTL alone. */
const MAX_PENDING_REFS = 10_000

/** A guarded storage: operations reject with VBGW_CACHE_UNAVAILABLE, quickly, when the storage is not usable. */
export interface GuardedStorage extends CacheStorage {
  /** False while the storage is being bypassed. */
  available (): boolean
  /** Report a failure seen outside an operation (e.g. a Redis connection error). */
  report (err: Error): void
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

  function report (err: Error): void {
    opts.onFailure?.(err)
    downUntil = opts.now() + opts.retryAfterMs
    down = true
    const suppressed = throttle.pass()
    if (suppressed === undefined) return
    announced = true
    // The message of a Redis error names host and port, never credentials or keys.
    opts.logger.warn({ storage: inner.kind, err: { message: err.message }, suppressed },
      'cache storage unavailable: serving from the upstream without the cache')
  }

  /** Keep references for the next replay, up to the bound. */
  function keep (refs: Iterable<string>): void {
    for (const r of refs) if (pending.size < MAX_PENDING_REFS) pending.add(r)
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

  async function run<T> (op: () => Promise<T>): Promise<T> {
    if (down && opts.now() < downUntil) throw new errors.CacheUnavailable()
    try {
      if (pending.size > 0) {
        // Taken out before the replay: an invalidation failing meanwhile
        // re-adds its references, and they must stay for the next replay.
        const refs = [...pending]
        pending.clear()
        try {
          await bounded(() => inner.invalidate(refs))
        } catch (err) {
          keep(refs)
          throw err
        }
      }
      const result = await bounded(op)
      if (down) {
        down = false
        if (announced) opts.logger.info({ storage: inner.kind }, 'cache storage available again')
        announced = false
      }
      return result
    } catch (err) {
      report(err as Error)
      throw err instanceof errors.CacheUnavailable ? err : new errors.CacheUnavailable()
    }
  }

  return {
    kind: inner.kind,
    available: () => !(down && opts.now() < downUntil),
    report,
    sequence: () => run(() => inner.sequence()),
    get: (key) => run(() => inner.get(key)),
    // Only while nothing is pending: invalidations to replay go first, through `get`.
    ...(inner.peek === undefined
      ? {}
      : {
          peek (key: string): StoredEntry | undefined {
            if ((down && opts.now() < downUntil) || pending.size > 0) return undefined
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
    close: () => inner.close(),
    ...(held === undefined ? {} : { held: () => held.call(inner) })
  }
}
