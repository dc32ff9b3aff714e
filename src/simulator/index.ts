/**
 * The embedded VBase simulator: a real grpc-js server implementing every
 * VBaseService method over in-memory state, with the reference's rules, jobs
 * that progress over time, policies that fire, seed data, the health service,
 * fault injection and call recording. It is the gateway's default upstream
 * and the test double of every test in the project.
 */
import { errors } from '../errors.js'
import type { MethodName } from '../upstream/contract.js'
import type { RestoreJob__Output } from '../generated/dodil/vbase/v1/RestoreJob.js'
import { parseTokens } from './auth.js'
import { systemClock, type Clock } from './clock.js'
import { FaultInjector, type Faults } from './faults.js'
import { createHealth } from './health.js'
import { silentLogger, type SimulatorLogger } from './logger.js'
import { seedDemoData } from './seed.js'
import { buildHandlers, joinHostPort, Listener, type RecordedCall } from './server.js'
import { SimService } from './service.js'

export type { Clock } from './clock.js'
export { systemClock } from './clock.js'
export type { Faults } from './faults.js'
export type { SimulatorLogger } from './logger.js'
export type { RecordedCall } from './server.js'
export type { AnyDecodedRequest, SimMethod } from './methods.js'
export { DEMO_BACKUPS, DEMO_ORG_ID, DEMO_POLICY_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from './seed.js'
export { ALL_COLLECTIONS, POLICY_DB_NAME } from './service.js'

/** How to start a simulator; every field has a default. */
export interface SimulatorOptions {
  /** Interface to bind; default 127.0.0.1 (embedded). The standalone entry binds 0.0.0.0. */
  host?: string
  /** Port; default 0 (ephemeral, read it back from `port`). */
  port?: number
  /** `token=organization-uuid,...` as in SIM_TOKENS; unset or empty = DEV_TOKEN for DEMO_ORG_ID. */
  tokens?: string
  /** Load the demo organization's data; default true. */
  seed?: boolean
  /** Time a job takes from PENDING to done; RUNNING at half. Default 3000; 0 = done at creation. */
  jobMs?: number
  /** Time source for jobs and policy schedules; default the system clock. */
  clock?: Clock
  logger?: SimulatorLogger
  /** Record every call in `calls` for tests; default true. Long-running simulators turn it off, or `calls` grows without bound. */
  recordCalls?: boolean
}

/** A running simulator and its test controls. */
export interface Simulator {
  /** `host:port` to dial, e.g. `127.0.0.1:40123`. */
  readonly address: string
  readonly port: number
  /** Every VBaseService call received, oldest first, recorded before faults and checks. */
  calls: RecordedCall[]
  /** How many calls were received, of one method or of all. */
  callCount (method?: MethodName): number
  /** Forget the recorded calls. */
  resetCalls (): void
  /** Switch faults on; see `Faults`. */
  faults: Faults
  /** Switch every fault off. */
  clearFaults (): void
  /** End a backup job FAILED now with `message`; throws when the backup does not exist. */
  failJob (serviceId: string, backupName: string, message: string): void
  /** Store a policy unchecked (as another client may have left one, e.g. a schedule that never fires); its id. */
  storePolicy (policy: { serviceId: string, organizationId: string, scheduleCron: string, retentionCount?: number, isActive?: boolean }): string
  /** Every restore job so far, oldest first (the API has no method to read them back). */
  restoreJobs (): RestoreJob__Output[]
  /** Close the port and drop every connection (clients see UNAVAILABLE); state is kept. */
  stopListening (): Promise<void>
  /** Listen again on the same port. */
  startListening (): Promise<void>
  /** Stop listening, cancel every timer and pending latency; idempotent. */
  close (): Promise<void>
}

function parseJobMs (jobMs: number): number {
  if (!Number.isFinite(jobMs) || jobMs < 0) throw new errors.InvalidConfig('simulator jobMs must be a non-negative number')
  return jobMs
}

/** Start a simulator; resolves once it listens. */
export async function startSimulator (opts: SimulatorOptions = {}): Promise<Simulator> {
  const host = opts.host ?? '127.0.0.1'
  const clock = opts.clock ?? systemClock
  const logger = opts.logger ?? silentLogger
  const tokens = parseTokens(opts.tokens)
  const faults = new FaultInjector()
  const service = new SimService({ clock, jobMs: parseJobMs(opts.jobMs ?? 3000), faults, logger })
  if (opts.seed ?? true) seedDemoData(service, clock.now())

  const calls: RecordedCall[] = []
  const handlers = buildHandlers({ service, faults, tokens, clock, logger, record: opts.recordCalls === false ? () => {} : (call) => { sim.calls.push(call) } })
  const listener = new Listener(host, opts.port ?? 0, handlers, createHealth())
  let closed = false

  const sim: Simulator = {
    get address () { return joinHostPort(host, listener.port) },
    get port () { return listener.port },
    calls,
    callCount: (method) => method === undefined ? sim.calls.length : sim.calls.filter((c) => c.method === method).length,
    resetCalls: () => { sim.calls.length = 0 },
    faults,
    clearFaults: () => { faults.clear() },
    failJob: (serviceId, backupName, message) => { service.failJob(serviceId, backupName, message) },
    restoreJobs: () => service.restoreJobs(),
    storePolicy: (policy) => service.storePolicy(policy).id,
    async stopListening () {
      faults.cancelDelays()
      await listener.stop()
    },
    async startListening () {
      if (closed) throw new TypeError('startListening after close: the simulator is closed')
      await listener.start()
    },
    async close () {
      if (closed) return
      closed = true
      faults.cancelDelays()
      service.stop()
      await listener.stop()
    }
  }

  try {
    await listener.start()
  } catch (err) {
    service.stop()
    throw err
  }
  logger.info({ address: sim.address, seeded: opts.seed ?? true, organizations: new Set(tokens.values()).size }, 'VBase simulator listening')
  return sim
}
