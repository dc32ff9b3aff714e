/**
 * Fastify plugin owning the upstream: creates the channel and the list cache
 * (memory, or Redis when CACHE_REDIS_URL is set) at registration, decorates
 * `fastify.vbase`, closes the channel and Redis when the app closes.
 */
import fp from 'fastify-plugin'
import { setupCache } from '../cache/create.js'
import type { PrincipalOf } from '../cache/keys.js'
import type { Config } from '../config.js'
import { createUpstreamClient, readCa } from './client.js'
import { createConcurrencyLimit, limitUpstreamConcurrency } from './concurrency.js'
import { createVbase, type Vbase } from './vbase.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The facade over VBaseService: the only way to reach the upstream. */
    vbase: Vbase
  }
}

export interface UpstreamPluginOptions {
  config: Config
  /** `host:port` of the upstream (the embedded simulator's when VBASE_UPSTREAM is unset). */
  address: string
  /** The app's principal function (src/cache/keys.ts principalHasher), which the list cache keys entries by. */
  principal: PrincipalOf
}

export default fp<UpstreamPluginOptions>(async function upstreamPlugin (fastify, { config, address, principal }) {
  const client = createUpstreamClient({
    address,
    tls: config.VBASE_TLS,
    tlsInsecure: config.VBASE_TLS_INSECURE,
    tlsCa: readCa(config.VBASE_TLS_CA),
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    readAttempts: config.UPSTREAM_READ_ATTEMPTS,
    maxMessageBytes: config.UPSTREAM_MAX_MESSAGE_BYTES,
    logger: fastify.log,
    // Metrics are optional: present when src/ops/metrics.ts was registered first.
    observer: fastify.metrics?.upstream
  })
  const cache = await setupCache(config, fastify.log.child({ component: 'cache' }), { principal, hooks: fastify.metrics?.cache })
  // Not fatal: with Redis down the gateway boots and serves without the cache.
  await cache.ready()
  // The memory storage's size, read at each scrape (Redis reports its own).
  if (cache.cache.stats().held !== undefined) fastify.metrics?.cacheHeld(() => cache.cache.stats().held)
  // A cap on calls in flight, below the cache: beyond it calls queue briefly, then fail with 503.
  const limit = createConcurrencyLimit({ max: config.UPSTREAM_MAX_CONCURRENCY, queueTimeoutMs: config.UPSTREAM_QUEUE_TIMEOUT_MS })
  const vbase = createVbase({ client: limitUpstreamConcurrency(client, limit), cache: cache.cache })
  fastify.decorate('vbase', vbase)
  fastify.addHook('onClose', async () => {
    await vbase.close()
    await cache.close()
  })
}, { name: 'vbase-upstream', fastify: '5.x' })
