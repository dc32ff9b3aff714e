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
 * counters are kept apart and used only while Redis fails. As the cache's
 * guard does, a failure also sets Redis aside for a retry interval: the
 * requests meanwhile are counted in the process without asking Redis, then
 * one request at a time tries it again until one gets an answer. A Redis
 * that hangs thus costs the requests under way when it stopped one command
 * timeout, then one request per interval, not every request a timeout per
 * counter (two: the principal's and the address's). The few commands that
 * did time out are not kept for it either: the client drops a connection
 * that stays silent, with the commands waiting on it, rather than sending
 * them when Redis resumes (src/cache/redis.ts), where they would count a
 * past window's requests in the current one.
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
  /** Told about each Redis failure (the request was counted locally); not about the requests counted locally after it without asking Redis. */
  onFailure: (err: Error) => void
  /** After a failure, count in the process without asking Redis for this long (default 1000 ms, the cache's interval). */
  retryAfterMs?: number
  /** Most keys the fallback counters hold; the oldest go first. */
  maxLocalKeys?: number
  /** Clock of the fallback counters and of the retry interval; tests inject one. */
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

/**
 * Whether a counter update may ask Redis: always while Redis answers; after
 * a failure, not for `retryAfterMs`; then one update at a time, until one
 * gets an answer. Shared by a store and its children: the per-principal and
 * per-IP counters of a request are in the same Redis.
 */
export class RedisBypass {
  private failing = false
  // While failing: no update asks Redis before this instant. A failure sets
  // it an interval ahead; so does the update that tries Redis again, so the
  // others keep counting locally while it waits (it settles within the
  // client's command timeout, and if it never did, another would try after
  // an interval).
  private until = 0
  constructor (private readonly retryAfterMs: number, private readonly now: () => number) {}

  /** True when this update should ask Redis; it must then call `succeeded` or `failed`. */
  tryRedis (): boolean {
    if (!this.failing) return true
    const at = this.now()
    if (at < this.until) return false
    this.until = at + this.retryAfterMs
    return true
  }

  succeeded (): void { this.failing = false }

  failed (): void {
    this.failing = true
    this.until = this.now() + this.retryAfterMs
  }
}

/** Counts in Redis under `keyPrefix`, in `local` while Redis fails. */
class SharedRateLimitStore implements FastifyRateLimitStore {
  constructor (
    private readonly redis: RateLimitScript,
    private readonly local: LocalCounters,
    private readonly bypass: RedisBypass,
    private readonly keyPrefix: string,
    private readonly onFailure: (err: Error) => void
  ) {}

  incr (key: string, done: Done, timeWindow: number): void {
    const full = this.keyPrefix + key
    if (!this.bypass.tryRedis()) {
      done(null, this.local.incr(full, timeWindow))
      return
    }
    this.redis.vbgwRateLimit(full, timeWindow).then(
      ([current, ttl]) => {
        this.bypass.succeeded()
        done(null, { current: Number(current), ttl: Number(ttl) })
      },
      (err: Error) => {
        this.bypass.failed()
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
    return new SharedRateLimitStore(this.redis, this.local, this.bypass, `${this.keyPrefix}${scope}:`, this.onFailure)
  }
}

/** A store class for @fastify/rate-limit's `store` option (it constructs one), counting in Redis, locally while Redis fails. */
export function sharedRateLimitStore (opts: SharedStoreOptions): FastifyRateLimitStoreCtor {
  const redis = opts.redis as ScriptedRedis
  if (typeof redis.vbgwRateLimit !== 'function') redis.defineCommand('vbgwRateLimit', { numberOfKeys: 1, lua: INCR_WINDOW })
  const scripted = redis as RateLimitScript
  const now = opts.now ?? Date.now
  const local = new LocalCounters(opts.maxLocalKeys ?? 10_000, now)
  const bypass = new RedisBypass(opts.retryAfterMs ?? 1000, now)
  const root = `${opts.prefix}rl:`
  return class extends SharedRateLimitStore {
    constructor () {
      super(scripted, local, bypass, root, opts.onFailure)
    }
  }
}
