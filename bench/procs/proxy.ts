/**
 * Bench child, the "proxy" reference: the least a REST gateway can do for
 * scenario A. A Fastify server with one route, the REST list path, that
 * makes the gateway's grpc-js call (one channel, the gateway's channel
 * options, the caller's Authorization as metadata, a deadline) and answers
 * with the gateway's REST JSON mapping of the result: the same bytes the
 * gateway answers, with none of its features (no cache, logs, metrics,
 * security headers, limits, validation or cancellation).
 *
 * Not a target's floor: set beside the gateway's uncached REST row, it
 * shows what the features cost, and beside direct what HTTP, the mapping
 * and the proxying cost.
 *
 * argv: <code root: dist|src> <upstream host:port>
 */
import * as grpc from '@grpc/grpc-js'
import Fastify from 'fastify'
import type * as ConfigModule from '../../src/config.js'
import type * as ClientModule from '../../src/upstream/client.js'
import type * as ContractModule from '../../src/upstream/contract.js'
import type * as MappingModule from '../../src/rest/json-mapping.js'
import { importGateway, ownUsage, serveParent, type CodeRoot } from '../lib/ipc.js'

const [rootArg, upstream] = process.argv.slice(2)
const root = (rootArg ?? 'dist') as CodeRoot
if (upstream === undefined) throw new Error('usage: proxy.ts <root> <upstream>')
const { contract } = await importGateway<typeof ContractModule>(root, 'upstream/contract.js')
const { CHANNEL_OPTIONS } = await importGateway<typeof ClientModule>(root, 'upstream/client.js')
const { toJson } = await importGateway<typeof MappingModule>(root, 'rest/json-mapping.js')
const { loadConfig } = await importGateway<typeof ConfigModule>(root, 'config.js')

const client = new grpc.Client(upstream, grpc.credentials.createInsecure(), CHANNEL_OPTIONS)
const method = contract.method('ListBackups')
const def = method.definition
/** The gateway's default upstream deadline (an empty environment: the defaults). */
const DEADLINE_MS = loadConfig({}).UPSTREAM_TIMEOUT_MS

const app = Fastify()
app.get<{ Params: { service_id: string } }>('/v1/vbase/:service_id/backup', (request, reply) => {
  const metadata = new grpc.Metadata()
  const authorization = request.headers.authorization
  if (authorization !== undefined) metadata.set('authorization', authorization)
  client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, { service_id: request.params.service_id }, metadata,
    { deadline: Date.now() + DEADLINE_MS }, (err, value) => {
      // A failure must show in the table's failures column, not pass for an answer.
      if (err !== null) return void reply.code(502).send({ code: err.code, message: err.details })
      const body = JSON.stringify(toJson(method.responseType, value as Record<string, unknown>, 'proto'))
      void reply.type('application/json; charset=utf-8').send(body)
    })
})
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()

serveParent({ port: typeof address === 'object' && address !== null ? address.port : 0 }, {
  usage: () => ownUsage()
}, async () => {
  await app.close()
  client.close()
})
