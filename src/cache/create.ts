/**
 * Builds the list cache from the configuration at boot: memory storage by
 * default, Redis when CACHE_REDIS_URL is set, behind the failure guard, with
 * the periodic stats line. `close` stops the timer, lets the guard write the
 * invalidations it still keeps, then closes Redis.
 */
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { guardStorage } from './guard.js'
import type { PrincipalOf } from './keys.js'
import { createListCache, MAX_READ_AGE_MS, type ListCache } from './list-cache.js'
import { createMemoryStorage } from './memory.js'
import { StatsRecorder, type CacheHooks } from './stats.js'
import type { CacheStorage } from './storage.js'

/** The cache variables of the configuration. */
export type CacheConfig = Pick<Config, 'CACHE_TTL_MS' | 'CACHE_PENDING_TTL_MS' | 'CACHE_TOKEN_RECHECK_MS' | 'CACHE_MAX_ENTRIES' | 'CACHE_MAX_BYTES' | 'CACHE_REDIS_URL' |
'CACHE_REDIS_PREFIX' | 'CACHE_REDIS_TIMEOUT_MS' | 'CACHE_ERROR_LOG_MS' | 'CACHE_STATS_LOG_MS' | 'UPSTREAM_TIMEOUT_MS'>

/** What the cache logs through (pino's shape). */
export interface CacheLogger {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

/** What the cache is built with besides its variables; all but `principal` mostly for tests. */
export interface CacheSetupOptions {
  /** The app's principal function (principalHasher), made once per app and shared with the rate limit. */
  principal: PrincipalOf
  /** Cache clock (TTL, retry window, log interval); Date.now by default. */
  now?: () => number
  hooks?: CacheHooks
  /** After a storage failure, skip the storage for this long (default 1000 ms). */
  retryAfterMs?: number
}

/** The cache and what to close at shutdown. */
export interface CacheSetup {
  cache: ListCache
  /** The Redis client, when the storage is Redis. */
  redis?: Redis
  /**
   * Resolves once the storage can be used: at once for memory; for Redis on
   * the first connection or the first failure, whichever comes first, so a
   * gateway still boots (and bypasses the cache) while Redis is down.
   */
  ready (timeoutMs?: number): Promise<boolean>
  close (): Promise<void>
}

/** Create the cache for one app instance. */
export async function setupCache (config: CacheConfig, logger: CacheLogger, opts: CacheSetupOptions): Promise<CacheSetup> {
  const now = opts.now ?? Date.now
  const stats = new StatsRecorder(opts.hooks)
  let redis: Redis | undefined
  let closeRedis: (() => Promise<void>) | undefined
  let inner: CacheStorage
  if (config.CACHE_REDIS_URL !== undefined) {
    // Loaded only when Redis is configured: ioredis and its dependencies are 55 modules.
    const { closeRedisClient, createRedisClient, createRedisStorage } = await import('./redis.js')
    // Connection errors repeat on every reconnect attempt: they go through the guard's rate limit.
    const client = createRedisClient({
      url: config.CACHE_REDIS_URL,
      commandTimeoutMs: config.CACHE_REDIS_TIMEOUT_MS,
      onError: (err) => { guarded.report(err, 'connection') }
    })
    redis = client
    closeRedis = () => closeRedisClient(client)
    // ioredis says 'ready' after every reconnection: write the invalidations
    // kept during the outage now, not on this replica's next request, since
    // the other replicas see them only once they are in Redis.
    client.on('ready', () => { void guarded.replay() })
    inner = createRedisStorage({
      client,
      prefix: config.CACHE_REDIS_PREFIX,
      versionTtlMs: Math.max(config.CACHE_TTL_MS, config.CACHE_PENDING_TTL_MS) + 10 * MAX_READ_AGE_MS
    })
  } else {
    inner = createMemoryStorage({ maxEntries: config.CACHE_MAX_ENTRIES, maxBytes: config.CACHE_MAX_BYTES, now })
  }
  const guarded = guardStorage(inner, {
    // The explicit race sits a little above the client's own command timeout;
    // the memory storage answers synchronously and has nothing to race.
    timeoutMs: config.CACHE_REDIS_URL === undefined ? 0 : config.CACHE_REDIS_TIMEOUT_MS + 20,
    retryAfterMs: opts.retryAfterMs ?? 1000,
    logIntervalMs: config.CACHE_ERROR_LOG_MS,
    now,
    logger,
    onFailure: (err, kind) => stats.storageError(err, kind)
  })
  const cache = createListCache({
    storage: guarded,
    principal: opts.principal,
    ttlMs: config.CACHE_TTL_MS,
    pendingTtlMs: config.CACHE_PENDING_TTL_MS,
    // As many principals as the memory cache holds entries (one each at least).
    tokenRecheckMs: config.CACHE_TOKEN_RECHECK_MS,
    maxPrincipals: config.CACHE_MAX_ENTRIES,
    // A write that timed out may still be applied: look again as long after as a call may last.
    recheckUnknownMs: config.UPSTREAM_TIMEOUT_MS,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    now,
    stats
  })

  let timer: NodeJS.Timeout | undefined
  if (config.CACHE_STATS_LOG_MS > 0) {
    timer = setInterval(() => {
      if (stats.takeChanged()) logger.info({ cache: cache.stats() }, 'cache stats')
    }, config.CACHE_STATS_LOG_MS)
    timer.unref()
  }

  return {
    cache,
    redis,
    ready: (timeoutMs = 2000) => redis === undefined ? Promise.resolve(true) : connected(redis, timeoutMs),
    async close () {
      clearInterval(timer)
      await cache.close()
      await closeRedis?.()
    }
  }
}

/** Wait for the first connection outcome of a Redis client. */
function connected (client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (ok: boolean) => (): void => {
      clearTimeout(timer)
      client.off('ready', onReady).off('error', onFail).off('end', onFail)
      resolve(ok)
    }
    const onReady = done(true)
    const onFail = done(false)
    const timer = setTimeout(onFail, timeoutMs)
    client.once('ready', onReady).once('error', onFail).once('end', onFail)
  })
}
