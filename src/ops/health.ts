/**
 * Liveness, readiness and draining. `/healthz` says the process is up;
 * `/readyz` says the upstream answers its health check and the gateway is
 * not shutting down. Shutdown flips `shuttingDown` before the listener
 * closes (server.ts does it first, `app.close()` at the latest), and from
 * then on every answer closes its connection, so keep-alive clients do not
 * hold the drain open until their idle timeout.
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

  // preClose runs before Fastify stops the listener.
  fastify.addHook('preClose', async () => { fastify.shuttingDown = true })

  // Node's server.close() drops idle keep-alive sockets only once: a socket
  // busy at that moment would stay open after its answer and keep the
  // process waiting for keepAliveTimeout (72 s). Fastify itself marks only
  // requests that arrive after closing began.
  // Synchronous: it runs on every answer, and an async hook costs a promise and a microtask each.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (fastify.shuttingDown) reply.header('connection', 'close')
    done(null, payload)
  })

  fastify.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))

  fastify.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    if (fastify.shuttingDown) return reply.code(503).send({ status: 'shutting-down' })
    const upstream = await fastify.vbase.ready()
    return reply.code(upstream ? 200 : 503).send({ status: upstream ? 'ready' : 'upstream-unavailable' })
  })
}, { name: 'health-routes', dependencies: ['vbase-upstream'] })
