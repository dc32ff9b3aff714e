/**
 * Bench child, the "bare" floor: a Fastify server with one route per
 * surface, on the gateway's paths, answering the exact JSON bytes the
 * gateway answers (handed over by the parent once it has them), with no
 * logger, hooks or upstream. What is left is the cost of HTTP itself.
 */
import Fastify from 'fastify'
import { ownUsage, serveParent } from '../lib/ipc.js'

let restBody = Buffer.from('{}')
let graphqlBody = Buffer.from('{}')

const app = Fastify()
app.get('/v1/vbase/:service_id/backup', async (_request, reply) => reply.type('application/json; charset=utf-8').send(restBody))
app.post('/graphql', async (_request, reply) => reply.type('application/json; charset=utf-8').send(graphqlBody))
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()

serveParent({ port: typeof address === 'object' && address !== null ? address.port : 0 }, {
  usage: () => ownUsage(),
  /** The bytes to answer, as the gateway answered them. */
  bodies: ({ rest, graphql }: { rest: string, graphql: string }) => {
    restBody = Buffer.from(rest)
    graphqlBody = Buffer.from(graphql)
    return true
  }
}, async () => { await app.close() })
