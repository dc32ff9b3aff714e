/**
 * Liveness, readiness and draining. `/healthz` says the process is up;
 * `/readyz` says the upstream answers its health check and the gateway is
 * not shutting down. Shutdown flips `shuttingDown` before the listener
 * closes (server.ts does it first, `app.close()` at the latest), and from
 * then on every answer closes its connection, so keep-alive clients do not
 * hold the drain open until their idle timeout.
 *
 * From `app.close()` on (preClose), a connection with no request in
 * progress is closed at once, and one whose requests are all answered as
 * soon as the last answer is sent. Node's server.close() closes only the
 * idle keep-alive connections it finds at that moment; a connection that
 * has sent nothing yet, or part of a request head (a browser's preconnect,
 * a load balancer's probe, a slow client), held the close open forever,
 * since closing also stops Node's REQUEST_TIMEOUT_MS check, and the
 * onClose hooks (gRPC channel, Redis, the last replay of cache
 * invalidations) never ran.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when graceful shutdown starts, so readiness turns false before listeners close. */
    shuttingDown: boolean
  }
}

/** Logged (warn, with the cause) when the upstream check turns not ready, the first failing check included. */
export const UPSTREAM_NOT_READY_MESSAGE = 'upstream not ready'
/** Logged (info) when the upstream check is ready again. */
export const UPSTREAM_READY_MESSAGE = 'upstream ready again'

/** Requests received on a connection whose answers are not done yet. */
const inProgress = Symbol('vbgw.requestsInProgress')
type TrackedSocket = Socket & { [inProgress]?: number }

export default fp(async function healthRoutes (fastify) {
  fastify.decorate('shuttingDown', false)

  const sockets = new Set<TrackedSocket>()
  let draining = false
  fastify.server.on('connection', (socket: TrackedSocket) => {
    // Accepted while the preClose hooks run, before the listener closes: nothing will be served on it.
    if (draining) {
      socket.destroy()
      return
    }
    sockets.add(socket)
    socket.once('close', () => { sockets.delete(socket) })
  })
  // Counted at Node's level, not in a Fastify hook, so the 503s Fastify
  // answers while closing (before any hook) count too. One function for all
  // answers: no closure per request.
  function answered (this: ServerResponse): void {
    const socket = this.req.socket as TrackedSocket
    const left = (socket[inProgress] ?? 1) - 1
    socket[inProgress] = left
    if (draining && left === 0) socket.destroy()
  }
  fastify.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket as TrackedSocket
    socket[inProgress] = (socket[inProgress] ?? 0) + 1
    response.once('close', answered)
  })

  // preClose runs before Fastify stops the listener.
  fastify.addHook('preClose', async () => {
    fastify.shuttingDown = true
    draining = true
    for (const socket of sockets) if ((socket[inProgress] ?? 0) === 0) socket.destroy()
  })

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

  // The upstream check's last answer, for logging its transitions only: the
  // check is shared and cached, and a probe every few seconds must not write
  // a line each. Unset until the first check, whose failure is logged too (a
  // pod that never becomes ready must say why); a first success is not.
  let upstreamReady: boolean | undefined
  fastify.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    if (fastify.shuttingDown) return reply.code(503).send({ status: 'shutting-down' })
    const answer = await fastify.vbase.readiness()
    const was = upstreamReady
    upstreamReady = answer.ok
    if (!answer.ok && was !== false) fastify.log.warn({ upstream: answer.cause }, UPSTREAM_NOT_READY_MESSAGE)
    else if (answer.ok && was === false) fastify.log.info(UPSTREAM_READY_MESSAGE)
    return reply.code(answer.ok ? 200 : 503).send({ status: answer.ok ? 'ready' : 'upstream-unavailable' })
  })
}, { name: 'health-routes', dependencies: ['vbase-upstream'] })
