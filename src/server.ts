/**
 * Process entry: configuration, logger, the embedded simulator when no
 * upstream is configured, listen, and graceful close on SIGTERM/SIGINT.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfigOrExit } from './config.js'
import { createLogger } from './logger.js'
import { tuneProcess } from './ops/process-tuning.js'
import { DEV_TOKEN, DEMO_ORG_ID } from './simulator/seed.js'
import { startSimulator, type Simulator } from './simulator/index.js'

const config = loadConfigOrExit('vbase-gateway')
const tuning = tuneProcess(config)
const logger = createLogger(config)
if (tuning.bindFixed) logger.info('AsyncResource.prototype.bind replaced (ASYNC_BIND_FIX): bound functions without the per-function accessor')

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
 * A stop signal repeated within this long of the first is the same stop and is
 * ignored. Stopped by a process-group signal (Ctrl-C in a terminal, systemd's
 * KillMode=control-group, `timeout`, `kill -TERM -- -<pgid>`), `npm start`
 * gets the signal from the kernel alongside node, and forwards it: node gets
 * it twice, a few ms apart. A repeat after this window forces the exit (1),
 * as for close-with-grace's second signal.
 */
export const REPEAT_SIGNAL_WINDOW_MS = 1000

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const
/** The first stop signal and when it came; `closing` once a close began, whatever started it. */
let stop: { signal: NodeJS.Signals, at: number } | undefined
let closing = false

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
const grace = closeWithGrace({
  // SIGTERM and SIGINT are handled below (onStopSignal), which tells a forwarded copy from a second stop.
  skip: [...STOP_SIGNALS],
  delay: config.SHUTDOWN_DELAY_MS + config.SHUTDOWN_GRACE_MS,
  logger,
  onTimeout: (ms) => { logger.error({ graceMs: ms }, 'requests still in flight at the end of the grace period: exiting 1') }
}, async ({ signal = stop?.signal, err }) => {
  closing = true
  if (err !== undefined) logger.error({ err }, 'closing after an error')
  else logger.info({ signal, delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS }, 'shutting down')
  app.shuttingDown = true
  if (err === undefined && config.SHUTDOWN_DELAY_MS > 0) await sleep(config.SHUTDOWN_DELAY_MS)
  await app.close()
  logger.info('closed: exiting')
})

function onStopSignal (signal: NodeJS.Signals): void {
  if (!closing) {
    stop = { signal, at: performance.now() }
    grace.close()
  } else if (stop?.signal === signal && performance.now() - stop.at < REPEAT_SIGNAL_WINDOW_MS) {
    logger.debug({ signal, windowMs: REPEAT_SIGNAL_WINDOW_MS }, 'repeated stop signal (a forwarded copy): already closing, ignored')
  } else {
    logger.error({ signal }, `second ${signal}, exiting`)
    process.exit(1)
  }
}
for (const signal of STOP_SIGNALS) process.on(signal, onStopSignal)

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
