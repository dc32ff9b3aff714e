/**
 * The standalone simulator (`npm run simulator`), for docker-compose and for
 * pointing other tools at it. It binds every interface, since in a
 * container loopback is unreachable from the other services; the embedded
 * one (src/server.ts) stays on 127.0.0.1.
 */
import { loadConfigOrExit } from '../config.js'
import { createLogger } from '../logger.js'
import { startSimulator } from './index.js'
import { DEMO_ORG_ID, DEV_TOKEN } from './seed.js'

const config = loadConfigOrExit('vbase-simulator')
const logger = createLogger(config)

const sim = await startSimulator({
  recordCalls: false,
  host: '0.0.0.0',
  port: config.SIM_PORT,
  tokens: config.SIM_TOKENS,
  seed: config.SIM_SEED,
  jobMs: config.SIM_JOB_MS,
  logger
})
if (config.SIM_TOKENS === undefined || config.SIM_TOKENS.trim() === '') {
  // The dev token is public and documented; configured tokens are never logged.
  logger.info({ organizationId: DEMO_ORG_ID }, `SIM_TOKENS is unset: use "authorization: Bearer ${DEV_TOKEN}"`)
}

let closing = false
async function shutdown (signal: NodeJS.Signals): Promise<void> {
  if (closing) return
  closing = true
  logger.info({ signal }, 'VBase simulator closing')
  await sim.close()
  logger.flush?.()
  process.exitCode = 0
}
process.once('SIGTERM', (s) => { void shutdown(s) })
process.once('SIGINT', (s) => { void shutdown(s) })
