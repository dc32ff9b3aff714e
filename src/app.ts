/**
 * Builds the gateway from plugins, in a fixed order: cross-cutting HTTP
 * behavior, then the app's services (upstream), then the surfaces and ops
 * routes. Tests build the app the same way, against a simulator on loopback.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import errorHandling from './http/errors.js'
import graphql from './graphql/plugin.js'
import healthRoutes from './ops/health.js'
import rest from './rest/index.js'
import upstream from './upstream/plugin.js'

export interface BuildAppOptions {
  config: Config
  /** `host:port` of VBaseService. */
  upstream: string
  logger: Logger
}

/** Longest accepted incoming x-request-id; longer ones are replaced. */
const MAX_REQUEST_ID = 128

export async function buildApp (opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID()
  })
  app.addHook('onRequest', async (request, reply) => {
    if (request.id.length > MAX_REQUEST_ID || !/^[\w.:-]+$/.test(request.id)) {
      request.id = crypto.randomUUID()
    }
    reply.header('x-request-id', request.id)
  })

  // cross-cutting HTTP behavior
  await app.register(errorHandling)
  // services
  await app.register(upstream, { config, address: opts.upstream })
  // surfaces and ops routes
  await app.register(rest, { config })
  await app.register(graphql)
  await app.register(healthRoutes)

  return app
}
