/**
 * Builds the gateway against a fresh simulator on loopback, the way
 * src/server.ts does, and tears both down at the end of the test.
 */
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js'

/** A tap test, as far as these helpers need one. */
export interface Teardownable { teardown (fn: () => unknown): void }

export interface TestAppOptions {
  /** Environment overrides, as strings, validated like the real config. */
  env?: Record<string, string>
  simulator?: SimulatorOptions
  /** Reuse a running simulator instead of starting one. */
  sim?: Simulator
  /** `host:port` the gateway dials instead of the simulator's own (a proxy in front of it). */
  upstream?: string
}

export interface TestApp {
  app: FastifyInstance
  sim: Simulator
  config: Config
  /** Every log line the app wrote, raw. */
  logs: string[]
}

/** Start a simulator and an app pointed at it; both close at teardown. */
export async function buildTestApp (t: Teardownable, opts: TestAppOptions = {}): Promise<TestApp> {
  const sim = opts.sim ?? await startSimulator({ port: 0, ...opts.simulator })
  if (opts.sim === undefined) t.teardown(() => sim.close())
  const config = loadConfig({ LOG_LEVEL: 'info', ...opts.env })
  const logs: string[] = []
  const sink = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const app = await buildApp({ config, upstream: opts.upstream ?? sim.address, logger: createLogger(config, sink) })
  t.teardown(() => app.close())
  await app.ready()
  return { app, sim, config, logs }
}

/** Listen on an ephemeral loopback port, for tests that need a real socket; the port. */
export async function listenOnLoopback (app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  return typeof address === 'object' && address !== null ? address.port : 0
}

/** Poll `check` until it returns true or the deadline passes; no fixed sleeps. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 5000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
