/**
 * Process entry: configuration, logger, the embedded simulator when no
 * upstream is configured, listen, and graceful close on SIGTERM/SIGINT.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfigOrExit } from './config.js'
import { createLogger } from './logger.js'
import { tuneHeap } from './ops/heap.js'
import { DEV_TOKEN, DEMO_ORG_ID } from './simulator/seed.js'
import { startSimulator, type Simulator } from './simulator/index.js'

const config = loadConfigOrExit('vbase-gateway')
tuneHeap(config.HEAP_GROWING_PERCENT)
const logger = createLogger(config)

let simulator: Simulator | undefined
let upstreamAddress = config.VBASE_UPSTREAM
if (upstreamAddress === undefined) {
  simulator = await startSimulator({
    recordCalls: false,
    host: '127.0.0.1',
    port: 0,
    tokens: config.SIM_TOKENS,
    seed: config.SIM_SEED,
    jobMs: config.SIM_JOB_MS,
    logger: logger.child({ component: 'simulator' })
  })
  upstreamAddress = simulator.address
  logger.info({ upstream: upstreamAddress }, 'VBASE_UPSTREAM is unset: using the embedded VBase simulator')
  if (config.SIM_TOKENS === undefined) {
    logger.info({ organizationId: DEMO_ORG_ID }, `simulator dev token: "Authorization: Bearer ${DEV_TOKEN}"`)
  }
} else {
  logger.info({ upstream: upstreamAddress, tls: config.VBASE_TLS }, 'using upstream VBaseService')
}

const app = await buildApp({ config, upstream: upstreamAddress, logger })
if (simulator !== undefined) {
  const sim = simulator
  app.addHook('onClose', async () => { await sim.close() })
}

/**
 * SIGTERM/SIGINT: readiness turns false first (SHUTDOWN_DELAY_MS lets load
 * balancers see it while requests are still served), then app.close():
 * the listener stops accepting, requests in flight finish (Fastify answers
 * 503 to any that arrive on an open keep-alive connection:
 * return503OnClosing), then the onClose hooks close the gRPC channel, Redis
 * and the embedded simulator. Exit 0; exit 1 when SHUTDOWN_GRACE_MS runs
 * out first or the close follows a crash. Connections with a request in
 * progress are not cut at close (forceCloseConnections stays 'idle'):
 * cutting would fail the requests the grace period is for. The others,
 * including ones that have sent nothing or part of a request, are closed at
 * once (src/ops/health.ts): they would hold the close until the grace period
 * ran out, and exit 1 with no request in flight.
 */
closeWithGrace({
  delay: config.SHUTDOWN_DELAY_MS + config.SHUTDOWN_GRACE_MS,
  logger,
  onTimeout: (ms) => { logger.error({ graceMs: ms }, 'requests still in flight at the end of the grace period: exiting 1') }
}, async ({ signal, err }) => {
  if (err !== undefined) logger.error({ err }, 'closing after an error')
  else logger.info({ signal, delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS }, 'shutting down')
  app.shuttingDown = true
  if (err === undefined && config.SHUTDOWN_DELAY_MS > 0) await sleep(config.SHUTDOWN_DELAY_MS)
  await app.close()
  logger.info('closed: exiting')
})

try {
  const address = await app.listen({ host: config.HOST, port: config.PORT })
  // Where a new user goes next: the pages the gateway serves itself.
  logger.info({ graphiql: `${address}/graphiql`, docs: `${address}/docs`, openapi: `${address}/openapi.json` },
    `GraphiQL at ${address}/graphiql, the REST reference at ${address}/docs`)
} catch (err) {
  // A HOST or PORT that cannot be listened on (taken, not this machine's, no such name) is a
  // setting to fix: one line naming them, as for an invalid setting, then a clean close.
  const { code, message } = err as NodeJS.ErrnoException
  process.stderr.write(`vbase-gateway: cannot listen on HOST=${config.HOST} PORT=${config.PORT}: ${code ?? message}\n`)
  await app.close()
  process.exit(1)
}
