/**
 * The GraphQL surface: mercurius on `/graphql` with the schema read from
 * `schema.graphql` at the repository root, GraphiQL on `/graphiql`, JIT,
 * batched operations, per-request loaders and the one error formatter; the
 * limits (depth, aliases, tokens, cost, batch size) and CSRF prevention.
 * Resolvers reach the upstream only through `fastify.vbase`.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import fp from 'fastify-plugin'
import mercurius from 'mercurius'
import type { Config } from '../config.js'
import { GRAPHQL_CSRF_PREVENTION } from '../http/csrf.js'
import { ROOT_DIR } from '../upstream/contract.js'
import { buildContext } from './context.js'
import { formatErrors } from './error-format.js'
import { graphiql } from './graphiql.js'
import { acceptNullExtensions, negotiateMediaType, requireBearer } from './http.js'
import { graphqlLimits, graphqlParseOptions, graphqlValidationRules, hidingSuggestions, limitBatch, type GraphqlLimitsConfig } from './limits.js'
import { loaders, observedLoaders } from './loaders.js'
import { buildResolvers } from './resolvers.js'

/** Where the schema lives: the repository root, in src/ and dist/ runs alike. */
export const SCHEMA_FILE = path.join(ROOT_DIR, 'schema.graphql')

/** Options of the GraphQL surface. */
export interface GraphqlOptions {
  /** The clock `BackupPolicy.nextRuns` counts from; `Date.now` by default. */
  now?: () => number
  /** Limits and CSRF prevention (src/graphql/limits.ts, src/http/csrf.ts). */
  config: GraphqlLimitsConfig & Pick<Config, 'CSRF_PREVENTION'>
}

export default fp<GraphqlOptions>(async function graphqlSurface (fastify, opts) {
  const now = opts.now ?? Date.now
  const schema = await readFile(SCHEMA_FILE, 'utf8')
  const limits = graphqlLimits(opts.config)

  await fastify.register(mercurius, {
    schema,
    resolvers: buildResolvers(),
    // With metrics, each loader batch's size feeds a histogram.
    loaders: fastify.metrics === undefined ? loaders : observedLoaders(fastify.metrics.loaderBatch),
    context: (request) => buildContext(fastify, request, now),
    errorFormatter: limits.hideSuggestions ? hidingSuggestions(formatErrors) : formatErrors,
    allowBatchedQueries: true,
    validationRules: graphqlValidationRules(limits),
    graphql: { parseOptions: graphqlParseOptions(limits) },
    csrfPrevention: opts.config.CSRF_PREVENTION ? GRAPHQL_CSRF_PREVENTION : false,
    // Served below, self-hosted: mercurius' page loads its scripts from a CDN.
    graphiql: false,
    // Compile an operation to a function from its second run on.
    jit: 1,
    additionalRouteOptions: {
      preValidation: [acceptNullExtensions, limitBatch(limits.maxBatch)],
      onSend: negotiateMediaType
    }
  })
  // Before requireBearer, so a rejected operation is still counted under its name.
  if (fastify.metrics !== undefined) fastify.graphql.addHook('preExecution', fastify.metrics.graphqlOperation)
  fastify.graphql.addHook('preExecution', requireBearer)
  await fastify.register(graphiql, { endpoint: '/graphql' })
}, { name: 'graphql-surface', fastify: '5.x', dependencies: ['vbase-upstream'] })
