/**
 * The GraphQL surface: mercurius on `/graphql` with the schema read from
 * `schema.graphql` at the repository root, GraphiQL on `/graphiql`, JIT,
 * batched operations, per-request loaders and the one error formatter.
 * Resolvers reach the upstream only through `fastify.vbase`.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import fp from 'fastify-plugin'
import mercurius from 'mercurius'
import { ROOT_DIR } from '../upstream/contract.js'
import { buildContext } from './context.js'
import { formatErrors } from './error-format.js'
import { acceptNullExtensions, negotiateMediaType, requireBearer } from './http.js'
import { loaders } from './loaders.js'
import { buildResolvers } from './resolvers.js'

/** Where the schema lives: the repository root, in src/ and dist/ runs alike. */
export const SCHEMA_FILE = path.join(ROOT_DIR, 'schema.graphql')

/** Options of the GraphQL surface; all optional. */
export interface GraphqlOptions {
  /** The clock `BackupPolicy.nextRuns` counts from; `Date.now` by default. */
  now?: () => number
}

export default fp<GraphqlOptions>(async function graphqlSurface (fastify, opts) {
  const now = opts.now ?? Date.now
  const schema = await readFile(SCHEMA_FILE, 'utf8')

  await fastify.register(mercurius, {
    schema,
    resolvers: buildResolvers(),
    loaders,
    context: (request) => buildContext(fastify, request, now),
    errorFormatter: formatErrors,
    allowBatchedQueries: true,
    graphiql: true,
    // Compile an operation to a function from its second run on.
    jit: 1,
    additionalRouteOptions: {
      preValidation: acceptNullExtensions,
      onSend: negotiateMediaType
    }
  })
  fastify.graphql.addHook('preExecution', requireBearer)
}, { name: 'graphql-surface', fastify: '5.x', dependencies: ['vbase-upstream'] })
