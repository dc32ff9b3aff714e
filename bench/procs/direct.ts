/**
 * Bench child, the "direct" floor: a grpc-js client calling the simulator
 * with the request the gateway makes for scenario A (one channel, the
 * gateway's channel options, authorization metadata, a deadline), in a
 * closed loop at a given concurrency. It runs on the gateway's core, in
 * its own process, so it stands where the gateway stands: what is left is
 * the cost of the upstream call itself.
 *
 * With `bind-fixed` it first applies the gateway's ASYNC_BIND_FIX
 * (src/ops/async-bind.ts): the same floor without Node 20's per-stream
 * retention, a reference for what the gateway's fix is worth against it.
 *
 * argv: <code root: dist|src> <upstream host:port> [bind-fixed]
 */
import { performance } from 'node:perf_hooks'
import * as grpc from '@grpc/grpc-js'
import type * as ClientModule from '../../src/upstream/client.js'
import type * as ContractModule from '../../src/upstream/contract.js'
import type * as AsyncBindModule from '../../src/ops/async-bind.js'
import { AUTHORIZATION, DIRECT_REQUEST } from '../lib/data.js'
import { importGateway, ownUsage, serveParent, type CodeRoot } from '../lib/ipc.js'
import { Latencies } from '../lib/stats.js'

const [rootArg, upstream, variant] = process.argv.slice(2)
const root = (rootArg ?? 'dist') as CodeRoot
if (upstream === undefined) throw new Error('usage: direct.ts <root> <upstream> [bind-fixed]')
if (variant === 'bind-fixed') {
  const { fixAsyncResourceBind } = await importGateway<typeof AsyncBindModule>(root, 'ops/async-bind.js')
  fixAsyncResourceBind()
}
const { contract } = await importGateway<typeof ContractModule>(root, 'upstream/contract.js')
const { CHANNEL_OPTIONS } = await importGateway<typeof ClientModule>(root, 'upstream/client.js')

const client = new grpc.Client(upstream, grpc.credentials.createInsecure(), CHANNEL_OPTIONS)
const def = contract.method('ListBackups').definition

function call (): Promise<void> {
  const metadata = new grpc.Metadata()
  metadata.set('authorization', AUTHORIZATION)
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, DIRECT_REQUEST, metadata,
      { deadline: Date.now() + 5_000 }, (err) => { if (err === null) resolve(); else reject(err) })
  })
}

/** What a run of the load loop reports. */
export interface DirectRun {
  completed: number
  errors: number
  elapsedMs: number
  p50: number
  p99: number
  cpuMicros: number
}

async function run ({ concurrency, durationMs, amount }: { concurrency: number, durationMs?: number, amount?: number }): Promise<DirectRun> {
  const latencies = new Latencies()
  let errors = 0
  let started = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const stopAt = durationMs === undefined ? Infinity : t0 + durationMs
  const more = (): boolean => amount === undefined ? performance.now() < stopAt : started < amount
  async function worker (): Promise<void> {
    while (more()) {
      started++
      const t = performance.now()
      try {
        await call()
        latencies.add(performance.now() - t)
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsedMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const [p50, p99] = latencies.percentiles([50, 99]) as [number, number]
  return { completed: latencies.count, errors, elapsedMs, p50, p99, cpuMicros: cpu.user + cpu.system }
}

serveParent({}, {
  usage: () => ownUsage(),
  run: (args: { concurrency: number, durationMs?: number, amount?: number }) => run(args)
}, async () => { client.close() })
