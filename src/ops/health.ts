/**
 * Liveness and readiness. `/healthz` says the process is up; `/readyz` says
 * the upstream answers its health check and the gateway is not shutting down.
 */
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when graceful shutdown starts, so readiness turns false before listeners close. */
    shuttingDown: boolean
  }
}

export default fp(async function healthRoutes (fastify) {
  fastify.decorate('shuttingDown', false)

  fastify.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))

  fastify.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    if (fastify.shuttingDown) return reply.code(503).send({ status: 'shutting-down' })
    const upstream = await fastify.vbase.ready()
    return reply.code(upstream ? 200 : 503).send({ status: upstream ? 'ready' : 'upstream-unavailable' })
  })
}, { name: 'health-routes', dependencies: ['vbase-upstream'] })
