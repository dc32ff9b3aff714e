/**
 * Process entry: configuration, logger, the embedded simulator when no
 * upstream is configured, listen, and graceful close on SIGTERM/SIGINT.
 */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { createLogger } from './logger.js'
import { DEV_TOKEN, DEMO_ORG_ID } from './simulator/seed.js'
import { startSimulator, type Simulator } from './simulator/index.js'

const config = loadConfig()
const logger = createLogger(config)

let simulator: Simulator | undefined
let upstreamAddress = config.VBASE_UPSTREAM
if (upstreamAddress === undefined) {
  simulator = await startSimulator({
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

closeWithGrace({ delay: 10_000, logger }, async ({ signal, err }) => {
  if (err !== undefined) logger.error({ err }, 'closing after an error')
  else logger.info({ signal }, 'shutting down')
  app.shuttingDown = true
  await app.close()
})

await app.listen({ host: config.HOST, port: config.PORT })
