/**
 * The gRPC side: one handler per VBaseService method running the same
 * pipeline (record, latency, faults, auth, validation, method), plus the
 * health service, on a grpc-js server that can stop and start listening on
 * the same port.
 */
import * as grpc from '@grpc/grpc-js'
import type { HealthImplementation } from 'grpc-health-check'
import { contract } from '../upstream/contract.js'
import type { TokenTable } from './auth.js'
import { authenticate } from './auth.js'
import type { Clock } from './clock.js'
import type { FaultInjector } from './faults.js'
import type { AnyDecodedRequest, SimMethod } from './methods.js'
import type { SimulatorLogger } from './logger.js'
import { RpcError } from './rpc-error.js'
import type { SimService } from './service.js'
import { validate } from './validate.js'

/** One VBaseService call as the simulator received it, recorded before any fault or check. */
export interface RecordedCall {
  method: SimMethod
  /** The decoded request (the contract's loader options). */
  request: AnyDecodedRequest
  /** Request metadata, header -> value; binary (`-bin`) values in base64, repeated values joined by ", ". */
  metadata: Record<string, string>
  /** The simulator clock's time of arrival (epoch ms). */
  at: number
}

/** What the handlers are built from. */
export interface PipelineDeps {
  service: SimService
  faults: FaultInjector
  tokens: TokenTable
  clock: Clock
  logger: SimulatorLogger
  record: (call: RecordedCall) => void
}

function plainMetadata (metadata: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of Object.keys(metadata.getMap())) {
    out[key] = metadata.get(key).map((v) => typeof v === 'string' ? v : v.toString('base64')).join(', ')
  }
  return out
}

/**
 * Build the VBaseService implementation. The order of judgement is fixed:
 * faults (they stand for a broken upstream), then UNAUTHENTICATED, then
 * INVALID_ARGUMENT, then the method's own ownership and existence checks.
 */
export function buildHandlers (deps: PipelineDeps): grpc.UntypedServiceImplementation {
  const { service, faults, tokens, clock, logger } = deps
  async function handle (method: SimMethod, path: string, call: grpc.ServerUnaryCall<AnyDecodedRequest, unknown>, callback: grpc.sendUnaryData<unknown>): Promise<void> {
    deps.record({ method, request: call.request, metadata: plainMetadata(call.metadata), at: clock.now() })
    if (!await faults.delay()) {
      callback(new RpcError(grpc.status.UNAVAILABLE, 'the simulator is shutting down'))
      return
    }
    try {
      const fault = faults.take(method, path)
      if (fault !== undefined) throw fault
      const organizationId = authenticate(call.metadata, tokens)
      validate(method, call.request as never)
      const impl = service.methods[method] as (req: AnyDecodedRequest, org: string) => unknown
      callback(null, impl(call.request, organizationId))
    } catch (err) {
      if (err instanceof RpcError) {
        callback(err)
        return
      }
      logger.warn({ err, method }, 'simulator method threw')
      callback(new RpcError(grpc.status.INTERNAL, 'internal simulator error'))
    }
  }
  const handlers: grpc.UntypedServiceImplementation = {}
  for (const info of contract.methods.values()) {
    const unary: grpc.handleUnaryCall<AnyDecodedRequest, unknown> = (call, callback) => { void handle(info.name as SimMethod, info.grpcPath, call, callback) }
    handlers[info.name] = unary
  }
  return handlers
}

/** How long a stop waits for calls in flight before cutting them. */
const STOP_GRACE_MS = 100

/** `host:port`, with brackets around an IPv6 host. */
export function joinHostPort (host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/**
 * A grpc-js server that can be stopped and started on the same port. A
 * grpc-js server cannot listen again once shut down, so each start builds a
 * fresh one around the same handlers and state.
 */
export class Listener {
  private server: grpc.Server | undefined
  private readonly host: string
  private boundPort: number
  private readonly handlers: grpc.UntypedServiceImplementation
  private readonly health: HealthImplementation

  constructor (host: string, port: number, handlers: grpc.UntypedServiceImplementation, health: HealthImplementation) {
    this.host = host
    this.boundPort = port
    this.handlers = handlers
    this.health = health
  }

  /** The port bound (the ephemeral one chosen on the first start when asked for 0). */
  get port (): number {
    return this.boundPort
  }

  get listening (): boolean {
    return this.server !== undefined
  }

  /** Listen (again) on the port; a no-op when already listening. */
  async start (): Promise<void> {
    if (this.server !== undefined) return
    const server = new grpc.Server()
    server.addService(contract.serviceDefinition as unknown as grpc.ServiceDefinition, this.handlers)
    this.health.addToServer(server)
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(joinHostPort(this.host, this.boundPort), grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err !== null) reject(err)
        else resolve(port)
      })
    })
    this.server = server
  }

  /**
   * Close the port and every connection: clients see UNAVAILABLE. Calls in
   * flight get a moment to send their answer (the caller cancels pending
   * latency first), then whatever is left is cut.
   */
  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    await new Promise<void>((resolve) => {
      const cut = setTimeout(() => { server.forceShutdown(); resolve() }, STOP_GRACE_MS)
      server.tryShutdown(() => { clearTimeout(cut); resolve() })
    })
  }
}
