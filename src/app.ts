/**
 * Builds the gateway from plugins, in a fixed order: cross-cutting HTTP
 * behavior, then the app's services (upstream), then the surfaces and ops
 * routes. Tests build the app the same way, against a simulator on loopback.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { ChildLoggerOptions, Logger } from 'pino'
import { principalHasher } from './cache/keys.js'
import type { Config } from './config.js'
import { AccessLog, requestChildLogger } from './logger.js'
import errorHandling from './http/errors.js'
import inputHygiene, { edgeServerOptions, sendTimeout } from './http/limits.js'
import loadShedding from './http/load-shedding.js'
import security, { securityHeaders } from './http/security.js'
import graphql from './graphql/plugin.js'
import healthRoutes from './ops/health.js'
import metrics from './ops/metrics.js'
import rest from './rest/index.js'
import upstream from './upstream/plugin.js'
import { MAX_ID_LENGTH } from './upstream/validate.js'

export interface BuildAppOptions {
  config: Config
  /** `host:port` of VBaseService. */
  upstream: string
  logger: Logger
}

/** Longest accepted incoming x-request-id; longer ones are replaced. */
const MAX_REQUEST_ID = 128

/**
 * Longest path value the router matches: MAX_ID_LENGTH (src/upstream/validate.ts),
 * so whatever was created through the gateway can be deleted through REST.
 * find-my-way 9 measures the decoded value, but this holds however it
 * measures. Its default, 100, answered 414 to names the API accepts in a
 * body and on GraphQL.
 */
export const MAX_PARAM_LENGTH = MAX_ID_LENGTH

/**
 * Logged at boot when Redis holds principals (cache keys, and rate-limit
 * keys with RATE_LIMIT_SHARED) and no secret keys them.
 */
export const UNKEYED_PRINCIPALS_WARNING = 'PRINCIPAL_HASH_SECRET is unset: principals in Redis keys are unkeyed hashes of the Authorization value, ' +
  'so whoever can read Redis can test guessed tokens offline; set PRINCIPAL_HASH_SECRET (the same value on every replica)'

export async function buildApp (opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts
  const accessLog = new AccessLog(opts.logger)
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    logController: accessLog,
    childLoggerFactory: (logger, bindings, childOpts) => requestChildLogger(logger as Logger, bindings, childOpts as ChildLoggerOptions) as FastifyBaseLogger,
    // The id is chosen here, not fixed up in a hook, so the request's logger carries the id the caller gets back.
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && incoming.length <= MAX_REQUEST_ID && /^[\w.:-]+$/.test(incoming) ? incoming : crypto.randomUUID()
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // body and header size limits, trusted proxies (src/http/limits.ts); the
    // security headers on the answers to what Node's parser refuses, too
    ...edgeServerOptions(config, config.SECURITY_HEADERS ? securityHeaders() : {})
  })
  app.addHook('onRequest', (request, reply, done) => {
    // Upstream metadata is built from the headers: the upstream logs the same id, generated or not.
    request.headers['x-request-id'] = request.id
    reply.header('x-request-id', request.id)
    accessLog.watch(reply)
    done()
  })

  // Who a caller is, for the rate limit and the cache alike: one function, its HMAC key imported once.
  const principal = principalHasher(config.PRINCIPAL_HASH_SECRET)
  if (config.CACHE_REDIS_URL !== undefined && config.PRINCIPAL_HASH_SECRET === undefined) app.log.warn(UNKEYED_PRINCIPALS_WARNING)

  // cross-cutting HTTP behavior; metrics first, so the services and surfaces registered after it can feed it
  await app.register(metrics, { config })
  await app.register(errorHandling, { config })
  // edge protections: headers and CORS on every answer, then shedding and rate limits, then input checks
  await app.register(security, { config })
  await app.register(loadShedding, { config, principal })
  await app.register(inputHygiene)
  await app.register(sendTimeout, { config })
  // services
  await app.register(upstream, { config, address: opts.upstream, principal })
  // surfaces and ops routes
  await app.register(rest, { config })
  await app.register(graphql, { config })
  await app.register(healthRoutes)

  return app
}
