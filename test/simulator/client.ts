/**
 * A small promise-based gRPC client for the simulator's own tests, built
 * straight on grpc-js and the contract's service definition (the project's
 * real upstream client is tested elsewhere), plus a per-test harness that
 * starts a simulator on a fake clock and tears everything down.
 */
import * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Test } from 'tap'
import type { VBaseServiceDefinition } from '../../src/generated/dodil/vbase/v1/VBaseService.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js'
import { healthService } from '../../src/simulator/health.js'
import type { SimMethod, SimResponse } from '../../src/simulator/methods.js'
import { DEV_TOKEN } from '../../src/simulator/seed.js'
import { contract } from '../../src/upstream/contract.js'
import { FakeClock } from '../helpers/clock.js'

/** What a caller may send for a method (the generated permissive input type). */
export type Input<M extends SimMethod> = Parameters<VBaseServiceDefinition[M]['requestSerialize']>[0]

/** Per-call options. */
export interface CallOpts {
  /** Bearer token; null sends no authorization at all. Default: the client's token. */
  token?: string | null
  /** Send this authorization value verbatim (overrides `token`). */
  authorization?: string
  /** Extra metadata. */
  metadata?: Record<string, string>
  deadlineMs?: number
  /** Wait for the channel to connect instead of failing fast (reconnect tests). */
  waitForReady?: boolean
}

/** The error a failed call rejects with. */
export type CallError = grpc.ServiceError

/** A client for one simulator address. */
export class TestClient {
  readonly client: grpc.Client
  token: string

  constructor (address: string, token = DEV_TOKEN) {
    // A short reconnect backoff: stop/start-listening tests reconnect quickly.
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 200
    })
    this.token = token
  }

  /** Call a VBaseService method; rejects with the ServiceError. */
  call<M extends SimMethod> (method: M, request: Input<M>, opts: CallOpts = {}): Promise<SimResponse<M>> {
    const def = contract.serviceDefinition[method] as unknown as MethodDefinition<Input<M>, unknown, unknown, SimResponse<M>>
    return this.unary(def, request, opts)
  }

  /** grpc.health.v1.Health/Check, without authorization unless asked. */
  healthCheck (service: string, opts: CallOpts = { token: null }): Promise<{ status: string }> {
    const def = healthService.Check as unknown as MethodDefinition<{ service: string }, unknown, unknown, { status: string }>
    return this.unary(def, { service }, opts)
  }

  close (): void {
    this.client.close()
  }

  private unary<I, O> (def: MethodDefinition<I, unknown, unknown, O>, request: I, opts: CallOpts): Promise<O> {
    // grpc-js takes wait-for-ready as a metadata option, not a call option.
    const metadata = new grpc.Metadata(opts.waitForReady === true ? { waitForReady: true } : {})
    const token = opts.token === undefined ? this.token : opts.token
    if (opts.authorization !== undefined) metadata.set('authorization', opts.authorization)
    else if (token !== null) metadata.set('authorization', `Bearer ${token}`)
    for (const [k, v] of Object.entries(opts.metadata ?? {})) metadata.set(k, v)
    const callOptions: grpc.CallOptions = {}
    if (opts.deadlineMs !== undefined) callOptions.deadline = Date.now() + opts.deadlineMs
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, metadata, callOptions, (err, value) => {
        if (err !== null) reject(err)
        else resolve(value as O)
      })
    })
  }
}

/** A tap test. */
export type TestLike = Test

/** A simulator on a fake clock, with a client for it; both closed at teardown. */
export interface Harness {
  sim: Simulator
  clock: FakeClock
  client: TestClient
  /** Another client, e.g. with another organization's token. */
  clientFor (token: string): TestClient
}

/** Start a harness: no seed data unless asked, fake clock, 3 s jobs. */
export async function harness (t: TestLike, opts: SimulatorOptions = {}): Promise<Harness> {
  const clock = (opts.clock as FakeClock | undefined) ?? new FakeClock()
  const sim = await startSimulator({ seed: false, ...opts, clock })
  const clients: TestClient[] = []
  t.teardown(async () => {
    for (const c of clients) c.close()
    await sim.close()
  })
  const clientFor = (token: string): TestClient => {
    const c = new TestClient(sim.address, token)
    clients.push(c)
    return c
  }
  return { sim, clock, client: clientFor(DEV_TOKEN), clientFor }
}

/** Expect a call to fail with `code` (and a message matching `details`). */
export async function rejects (t: TestLike, promise: Promise<unknown>, code: grpc.status, details?: RegExp | string, what = ''): Promise<CallError | undefined> {
  try {
    await promise
  } catch (err) {
    const e = err as CallError
    t.equal(grpc.status[e.code], grpc.status[code], `${what} answers ${grpc.status[code]}`.trim())
    if (details !== undefined) t.match(e.details, details, `${what} message`.trim())
    return e
  }
  t.fail(`${what} should have failed with ${grpc.status[code]}`.trim())
  return undefined
}

export { grpc }
