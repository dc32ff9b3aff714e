/**
 * Rate limiting and load shedding, checked first thing for every request
 * (app-wide onRequest hooks, so unknown paths count too) and before any
 * upstream call.
 *
 * - Load shedding (@fastify/under-pressure): when the mean event-loop delay
 *   or the used heap is over its limit, answer 503 with Retry-After at once.
 *   A process that is already behind only falls further behind by starting
 *   work it cannot finish in time.
 * - Rate limit (@fastify/rate-limit): RATE_LIMIT_MAX requests per
 *   RATE_LIMIT_WINDOW_MS per principal (the hash of the Authorization
 *   value, keyed with PRINCIPAL_HASH_SECRET when it is set, as the cache
 *   keys it: never the raw token), or per client address when
 *   there is no Authorization header. Beyond it, 429 RESOURCE_EXHAUSTED with
 *   Retry-After. Counters are per process, unless RATE_LIMIT_SHARED is on
 *   with CACHE_REDIS_URL set: then they live in that Redis, so the limit
 *   holds across replicas, and while Redis fails each replica counts alone
 *   (src/http/rate-limit-store.ts).
 * - A second limit per client IP that ignores the token (RATE_LIMIT_IP_MAX,
 *   4 x RATE_LIMIT_MAX unless set): without it, a client sending a new
 *   made-up token with each request gets a fresh budget each time, and every
 *   such request reaches the upstream. It is looser than the per-principal
 *   one, since many callers may share an address (NAT, an office proxy).
 * - A client address is an IPv4 address, or an IPv6 address's /64: an IPv6
 *   client owns a whole /64 at least (the smallest prefix a site is given),
 *   so keying by the full address would give it 2^64 fresh budgets.
 *
 * - A batch of GraphQL operations counts once per operation against both
 *   limits (`fastify.chargeOperations`, called by /graphql once the body
 *   is read): batching saves round trips, not budget. The onRequest hooks
 *   count its first operation, like any request; the rest are counted
 *   before any of them runs, and a batch that goes past a limit is refused
 *   whole.
 *
 * The ops routes are exempt from both: a probe or a scrape must tell the
 * truth about an overloaded process, not be refused by it. CORS preflights
 * are not counted: they do nothing, and browsers send them without a token,
 * so they would all land on one per-IP counter.
 */
import { getHeapStatistics } from 'node:v8'
import fp from 'fastify-plugin'
import rateLimit, { normalizeIP, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { PrincipalOf } from '../cache/keys.js'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import { LogThrottle } from '../log-throttle.js'
import { RETRY_AFTER_S } from './errors.js'
import { sharedRateLimitStore } from './rate-limit-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Count `extra` more requests of this caller against the rate limits,
     * for a request that is several operations (a GraphQL batch); throws
     * the limit's 429 when they go past one. Undefined when both limits are off.
     */
    chargeOperations?: (request: FastifyRequest, reply: FastifyReply, extra: number) => Promise<void>
  }
}

/** A rate-limit check as @fastify/rate-limit's createRateLimit makes it: each call counts one request. */
type RateLimitCheck = ReturnType<FastifyInstance['createRateLimit']>
/** A counted (not allow-listed) result. */
type RateLimitResult = Extract<Awaited<ReturnType<RateLimitCheck>>, { isAllowed: false }>

/** Set a 429's headers from the limit that refused it, and make its error. */
function refuse (reply: FastifyReply, limit: { max: number, ttlInSeconds: number }): Error {
  reply.header('x-ratelimit-limit', limit.max).header('x-ratelimit-remaining', 0)
    .header('x-ratelimit-reset', limit.ttlInSeconds).header('retry-after', limit.ttlInSeconds)
  return new errors.RateLimited(retryIn(limit.ttlInSeconds))
}

/** Count `extra` requests with `check`, at once; the least remaining and whether any went past. */
async function countMore (check: RateLimitCheck, request: FastifyRequest, extra: number): Promise<RateLimitResult | undefined> {
  const results = await Promise.all(Array.from({ length: extra }, () => check(request)))
  let worst: RateLimitResult | undefined
  for (const result of results) {
    if (result.isAllowed) return undefined
    if (worst === undefined || result.isExceeded || (!worst.isExceeded && result.remaining < worst.remaining)) worst = result
  }
  return worst
}

/** Options of the load-shedding plugin. */
export interface LoadSheddingOptions {
  config: Pick<Config, 'RATE_LIMIT_MAX' | 'RATE_LIMIT_IP_MAX' | 'RATE_LIMIT_WINDOW_MS' | 'RATE_LIMIT_SHARED' |
  'PRESSURE_MAX_EVENT_LOOP_DELAY_MS' | 'PRESSURE_MAX_HEAP_RATIO' |
  'CACHE_REDIS_URL' | 'CACHE_REDIS_PREFIX' | 'CACHE_REDIS_TIMEOUT_MS' | 'CACHE_ERROR_LOG_MS'>
  /** The app's principal function (src/cache/keys.ts principalHasher), the same the cache keys by. */
  principal: PrincipalOf
}

/** The per-IP cap when RATE_LIMIT_IP_MAX is unset, as a multiple of RATE_LIMIT_MAX. */
export const IP_LIMIT_FACTOR = 4

/** The per-IP cap: RATE_LIMIT_IP_MAX, or IP_LIMIT_FACTOR x RATE_LIMIT_MAX when unset; 0 is off. */
export function ipRateLimitMax (config: Pick<Config, 'RATE_LIMIT_MAX' | 'RATE_LIMIT_IP_MAX'>): number {
  return config.RATE_LIMIT_IP_MAX ?? IP_LIMIT_FACTOR * config.RATE_LIMIT_MAX
}

/**
 * The rate-limit key of a client address: an IPv4 address as is; an IPv6
 * address by its /64, lower-cased and compressed, its zone id dropped; an
 * IPv4-mapped one (`::ffff:192.0.2.7`) as its IPv4 address. It is
 * @fastify/rate-limit's own normalizeIP, what its default key uses, so the
 * grouping is the plugin's, not a second reading of IPv6 to keep in step.
 */
export function clientAddressKey (ip: string | undefined): string {
  // Fastify types request.ip as a string, but it is the socket's remoteAddress,
  // undefined once a client has reset the connection; normalizeIP would throw.
  return ip === undefined ? 'ip:unknown' : `ip:${normalizeIP(ip)}`
}

/** The per-IP limit's key: the client address alone (clientAddressKey), whatever credential it sends. */
export function ipRateLimitKey (request: FastifyRequest): string {
  return clientAddressKey(request.ip)
}

/** "1 minute", "30 seconds": how @fastify/rate-limit words the wait, for the per-IP limit's answer. */
export function retryIn (seconds: number): string {
  const units: Array<[string, number]> = [['day', 86_400], ['hour', 3_600], ['minute', 60]]
  for (const [name, size] of units) {
    if (seconds >= size) {
      const n = Math.round(seconds / size)
      return `${n} ${name}${n === 1 ? '' : 's'}`
    }
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`
}

/** Routes never rate limited nor shed: liveness, readiness, metrics. */
export const EXEMPT_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics'])

function exempt (request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' || EXEMPT_ROUTES.has(request.routeOptions.url ?? '')
}

/** The rate limit's key generator: the caller's principal when it sends a credential, else its address (clientAddressKey). */
export function rateLimitKey (principal: PrincipalOf): (request: FastifyRequest) => string {
  return (request) => {
    const authorization = request.headers.authorization
    return authorization !== undefined && authorization !== '' ? `principal:${principal(authorization)}` : clientAddressKey(request.ip)
  }
}

/** The heap limit in bytes for a fraction of V8's; 0 (off) for 0, at least 1 byte otherwise. */
export function heapLimitBytes (ratio: number, heapSizeLimit = getHeapStatistics().heap_size_limit): number {
  return ratio > 0 ? Math.max(1, Math.floor(ratio * heapSizeLimit)) : 0
}

/**
 * The counters' store when they are shared: a Redis client of its own (the
 * cache's is made later, by the upstream plugin), closed with the app. A
 * Redis failure is logged at most once per CACHE_ERROR_LOG_MS, with a count
 * of the ones left out; its message names host and port, never a key.
 */
async function sharedStore (fastify: FastifyInstance, config: LoadSheddingOptions['config']): Promise<FastifyRateLimitStoreCtor | undefined> {
  if (!config.RATE_LIMIT_SHARED || config.CACHE_REDIS_URL === undefined) return undefined
  // Loaded only when Redis is configured, as for the cache.
  const { closeRedisClient, createRedisClient } = await import('../cache/redis.js')
  const throttle = new LogThrottle(config.CACHE_ERROR_LOG_MS)
  const warn = (err: Error): void => {
    const suppressed = throttle.pass()
    if (suppressed === undefined) return
    fastify.log.warn({ err: { message: err.message }, suppressed }, 'rate-limit counters unavailable in Redis: counting in this process')
  }
  const redis = createRedisClient({ url: config.CACHE_REDIS_URL, commandTimeoutMs: config.CACHE_REDIS_TIMEOUT_MS, onError: warn })
  fastify.addHook('onClose', async () => { await closeRedisClient(redis) })
  return sharedRateLimitStore({ redis, prefix: config.CACHE_REDIS_PREFIX, onFailure: warn })
}

/** The line logged when a request is shed. */
export const SHEDDING_MESSAGE = 'shedding load'
/** At most one shedding line at warn per this many ms; the others go out at debug (each shed request still has its access line). */
export const SHEDDING_LOG_INTERVAL_MS = 10_000

/**
 * under-pressure's pressureHandler: let exempt routes through, refuse the
 * rest with 503. An overloaded process must not also write a warn line per
 * refused request: one per interval, counting those held back.
 */
function shedder (lines: LogThrottle) {
  return async function shed (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined): Promise<void> {
    if (exempt(request)) return
    lines.warnOrDebug(request.log, { pressure: type, value }, SHEDDING_MESSAGE)
    // Set here too: a shed GraphQL request is answered by mercurius, not by the REST error handler.
    reply.header('retry-after', RETRY_AFTER_S)
    throw new errors.Overloaded()
  }
}

export default fp<LoadSheddingOptions>(async function loadShedding (fastify, { config, principal }) {
  const maxEventLoopDelay = config.PRESSURE_MAX_EVENT_LOOP_DELAY_MS
  const maxHeapUsedBytes = heapLimitBytes(config.PRESSURE_MAX_HEAP_RATIO)
  if (maxEventLoopDelay > 0 || maxHeapUsedBytes > 0) {
    await fastify.register(underPressure, { maxEventLoopDelay, maxHeapUsedBytes, pressureHandler: shedder(new LogThrottle(SHEDDING_LOG_INTERVAL_MS)) })
  }

  const ipMax = ipRateLimitMax(config)
  if (config.RATE_LIMIT_MAX > 0 || ipMax > 0) {
    const store = await sharedStore(fastify, config)
    await fastify.register(rateLimit, {
      ...(store === undefined ? {} : { store }),
      // Not per route (the plugin's default): one app-wide hook that runs
      // before the routes' own hooks, so a request is counted before its
      // token or body is even looked at, and 404s count too.
      global: false,
      max: config.RATE_LIMIT_MAX,
      timeWindow: config.RATE_LIMIT_WINDOW_MS,
      keyGenerator: rateLimitKey(principal),
      allowList: exempt,
      errorResponseBuilder: (_request, context) => new errors.RateLimited(context.after)
    })
    // With no options, createRateLimit counts in the same counters as the hook below.
    const perPrincipal = config.RATE_LIMIT_MAX > 0 ? fastify.createRateLimit() : undefined
    if (config.RATE_LIMIT_MAX > 0) fastify.addHook('onRequest', fastify.rateLimit() as onRequestAsyncHookHandler)
    let perIp: RateLimitCheck | undefined
    if (ipMax > 0) {
      // Its own counters (a child store): the per-principal limit keys
      // anonymous callers by IP too, and the two must not add up. Checked
      // second, so a caller refused by its own limit does not also use up
      // its address's, which callers behind one NAT share. Its 429 carries
      // its own headers, over the caller's (which would say requests remain).
      const ipCheck = fastify.createRateLimit({ max: ipMax, keyGenerator: ipRateLimitKey })
      perIp = ipCheck
      fastify.addHook('onRequest', async (request, reply) => {
        const limit = await ipCheck(request)
        if (limit.isAllowed || !limit.isExceeded) return
        throw refuse(reply, limit)
      })
    }
    // In the onRequest hooks' order: the caller's own limit, then its address's.
    fastify.decorate('chargeOperations', async (request: FastifyRequest, reply: FastifyReply, extra: number) => {
      if (extra < 1 || exempt(request)) return
      if (perPrincipal !== undefined) {
        const limit = await countMore(perPrincipal, request, extra)
        if (limit?.isExceeded === true) throw refuse(reply, limit)
        if (limit !== undefined) reply.header('x-ratelimit-remaining', limit.remaining)
      }
      if (perIp !== undefined) {
        const limit = await countMore(perIp, request, extra)
        if (limit?.isExceeded === true) throw refuse(reply, limit)
      }
    })
  }
}, { name: 'load-shedding', fastify: '5.x' })
