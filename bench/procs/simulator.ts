/**
 * Bench child: the VBase simulator, unseeded, jobs done at creation, no
 * latency, then seeded through its own gRPC port with the bench's fixed
 * data (bench/lib/data.ts). Counts the calls it receives, per method, and
 * keeps the recorded-call list from growing during long runs.
 *
 * argv: <code root: dist|src> <127.0.0.1:port to listen on; port 0: one the system picks, reported as `address`>
 */
import type * as SimulatorModule from '../../src/simulator/index.js'
import type * as ContractModule from '../../src/upstream/contract.js'
import * as grpc from '@grpc/grpc-js'
import { BENCH_SERVICES, BENCH_TOKEN, TAG_PREFIX, backupNamesOf, seedRequest } from '../lib/data.js'
import { importGateway, ownUsage, serveParent, type CodeRoot } from '../lib/ipc.js'

const root = (process.argv[2] ?? 'dist') as CodeRoot
const port = Number(process.argv[3]?.split(':')[1] ?? 0)
const { startSimulator } = await importGateway<typeof SimulatorModule>(root, 'simulator/index.js')
const { contract } = await importGateway<typeof ContractModule>(root, 'upstream/contract.js')

// No tokens: the simulator's documented dev token stands for the demo organization.
const sim = await startSimulator({ host: '127.0.0.1', port, seed: false, jobMs: 0 })

// Recorded calls hold whole requests: fold them into counters often so the list stays short.
const counts = new Map<string, number>()
/** Calls per tag: requests the bench sends with `x-request-id: <tag>.<n>` (the gateway forwards it). */
const tagged = new Map<string, number>()
function fold (): void {
  for (const call of sim.calls) {
    counts.set(call.method, (counts.get(call.method) ?? 0) + 1)
    const id = call.metadata['x-request-id']
    if (id?.startsWith(TAG_PREFIX) === true) {
      const tag = id.slice(0, id.lastIndexOf('.'))
      tagged.set(tag, (tagged.get(tag) ?? 0) + 1)
    }
  }
  sim.resetCalls()
}
const folder = setInterval(fold, 250)

async function seed (): Promise<number> {
  const client = new grpc.Client(sim.address, grpc.credentials.createInsecure())
  const def = contract.method('CreateBackup').definition
  const metadata = new grpc.Metadata()
  metadata.set('authorization', `Bearer ${BENCH_TOKEN}`)
  let created = 0
  // Services in parallel, each service's backups in order: within a service created_at (the default order) follows the names.
  await Promise.all(BENCH_SERVICES.map(async (serviceId) => {
    for (const name of backupNamesOf(serviceId)) {
      await new Promise<void>((resolve, reject) => {
        client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, seedRequest(serviceId, name), metadata,
          { deadline: Date.now() + 10_000 }, (err) => { if (err === null) resolve(); else reject(err) })
      })
      created++
    }
  }))
  client.close()
  return created
}

const seeded = await seed()
fold()
counts.clear()

serveParent({ address: sim.address, seeded }, {
  usage: () => ownUsage(),
  /** Calls received so far, per method and in total. */
  calls: () => {
    fold()
    const byMethod = Object.fromEntries(counts)
    return { total: [...counts.values()].reduce((a, b) => a + b, 0), byMethod }
  },
  /** Calls made for requests sent with one tag. */
  tagged: (tag: string) => {
    fold()
    return tagged.get(tag) ?? 0
  }
}, async () => {
  clearInterval(folder)
  await sim.close()
})
