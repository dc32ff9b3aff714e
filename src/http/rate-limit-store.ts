/**
 * Rate-limit counters shared by the replicas, for @fastify/rate-limit's
 * `store` option: with `RATE_LIMIT_SHARED` on and `CACHE_REDIS_URL` set,
 * every replica counts in the same Redis, so `RATE_LIMIT_MAX` holds for a
 * caller however a load balancer spreads its requests (with per-process
 * counters, N replicas let it through N times).
 *
 * A window is fixed: the first request of a key starts it (INCR, then
 * PEXPIRE, in one script), and it ends when the key expires. Keys are
 * `<prefix>rl:` and the limit's own key (`principal:<hash>` or
 * `ip:<address>`): never a raw credential.
 *
 * When Redis fails (down, or slower than its command timeout), the request
 * is counted in this process instead, so a Redis outage leaves each replica
 * limiting alone, as without Redis, rather than not limiting at all. Those
 * counters are kept apart and used only while Redis fails.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Redis } from 'ioredis'
import { BoundedMap } from '../bounded-map.js'

/** What @fastify/rate-limit expects of a counter update. */
export interface Counted { current: number, ttl: number }
type Done = Parameters<FastifyRateLimitStore['incr']>[1]
type ChildOptions = Parameters<FastifyRateLimitStore['child']>[0]

/** Options of the shared store. */
export interface SharedStoreOptions {
  redis: Redis
  /** Key prefix, e.g. `vbgw:`; the store adds `rl:`. */
  prefix: string
  /** Told about each Redis failure (the request was counted locally). */
  onFailure: (err: Error) => void
  /** Most keys the fallback counters hold; the oldest go first. */
  maxLocalKeys?: number
  /** Clock of the fallback counters; tests inject one. */
  now?: () => number
}

/** INCR a key; the first increment of a window sets its expiry. Returns the count and the window's remaining ms. */
const INCR_WINDOW = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`

/** The script's command, once defined on a client. */
type RateLimitScript = { vbgwRateLimit: (key: string, windowMs: number) => Promise<[number, number]> }
type ScriptedRedis = Redis & Partial<RateLimitScript>

/** Fixed-window counters in this process, bounded: the fallback while Redis fails. */
export class LocalCounters {
  private readonly counts: BoundedMap<string, { current: number, endsAt: number }>
  constructor (maxKeys: number, private readonly now: () => number) {
    this.counts = new BoundedMap(maxKeys)
  }

  incr (key: string, windowMs: number): Counted {
    const at = this.now()
    let entry = this.counts.get(key)
    if (entry === undefined || entry.endsAt <= at) {
      this.counts.delete(key)
      entry = { current: 0, endsAt: at + windowMs }
      // Insertion order is age (an ended window was deleted above): past the bound, the oldest window goes.
      this.counts.set(key, entry)
    }
    entry.current++
    return { current: entry.current, ttl: entry.endsAt - at }
  }

  get size (): number { return this.counts.size }
}

/** Counts in Redis under `keyPrefix`, in `local` while Redis fails. */
class SharedRateLimitStore implements FastifyRateLimitStore {
  constructor (
    private readonly redis: RateLimitScript,
    private readonly local: LocalCounters,
    private readonly keyPrefix: string,
    private readonly onFailure: (err: Error) => void
  ) {}

  incr (key: string, done: Done, timeWindow: number): void {
    const full = this.keyPrefix + key
    this.redis.vbgwRateLimit(full, timeWindow).then(
      ([current, ttl]) => done(null, { current: Number(current), ttl: Number(ttl) }),
      (err: Error) => {
        this.onFailure(err)
        done(null, this.local.incr(full, timeWindow))
      })
  }

  /**
   * A limiter with limits of its own counts apart: the per-IP limit (made
   * by `createRateLimit`, with no route: `own:`), or a route's own limits
   * (the gateway sets none: `<METHOD><url>:`). The per-IP limit keys a
   * caller `ip:<address>` as the main limit keys an anonymous one, and the
   * two must not add up.
   */
  child (options: ChildOptions): FastifyRateLimitStore {
    // The plugin passes the route as `routeInfo` ({} for createRateLimit), next to the merged limits; its types name the route itself.
    const route = (options as ChildOptions & { routeInfo?: Partial<ChildOptions> }).routeInfo ?? {}
    const scope = route.url === undefined ? 'own' : `${String(route.method)}${route.url}`
    return new SharedRateLimitStore(this.redis, this.local, `${this.keyPrefix}${scope}:`, this.onFailure)
  }
}

/** A store class for @fastify/rate-limit's `store` option (it constructs one), counting in Redis, locally while Redis fails. */
export function sharedRateLimitStore (opts: SharedStoreOptions): FastifyRateLimitStoreCtor {
  const redis = opts.redis as ScriptedRedis
  if (typeof redis.vbgwRateLimit !== 'function') redis.defineCommand('vbgwRateLimit', { numberOfKeys: 1, lua: INCR_WINDOW })
  const scripted = redis as RateLimitScript
  const local = new LocalCounters(opts.maxLocalKeys ?? 10_000, opts.now ?? Date.now)
  const root = `${opts.prefix}rl:`
  return class extends SharedRateLimitStore {
    constructor () {
      super(scripted, local, root, opts.onFailure)
    }
  }
}
