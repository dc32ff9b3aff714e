/**
 * Fastify plugin owning the upstream: creates the channel and the list cache
 * (memory, or Redis when CACHE_REDIS_URL is set) at registration, decorates
 * `fastify.vbase`, closes the channel and Redis when the app closes.
 */
import fp from 'fastify-plugin'
import { setupCache } from '../cache/create.js'
import type { Config } from '../config.js'
import { createUpstreamClient, readCa } from './client.js'
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
}

export default fp<UpstreamPluginOptions>(async function upstreamPlugin (fastify, { config, address }) {
  const client = createUpstreamClient({
    address,
    tls: config.VBASE_TLS,
    tlsInsecure: config.VBASE_TLS_INSECURE,
    tlsCa: readCa(config.VBASE_TLS_CA),
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    readAttempts: config.UPSTREAM_READ_ATTEMPTS,
    logger: fastify.log
  })
  const cache = setupCache(config, fastify.log.child({ component: 'cache' }))
  // Not fatal: with Redis down the gateway boots and serves without the cache.
  await cache.ready()
  const vbase = createVbase({ client, cache: cache.cache })
  fastify.decorate('vbase', vbase)
  fastify.addHook('onClose', async () => {
    await vbase.close()
    await cache.close()
  })
}, { name: 'vbase-upstream', fastify: '5.x' })
