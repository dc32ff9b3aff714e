/**
 * The GraphQL surface: mercurius on `/graphql` with the schema read from
 * `schema.graphql` at the repository root, GraphiQL on `/graphiql`, JIT,
 * batched operations, per-request loaders and the one error formatter; the
 * limits (query size, depth, aliases, tokens, cost, batch size, upstream
 * calls and listed items per request, introspection, parsed documents kept) and CSRF prevention. Only POST runs mutations: mercurius refuses them on GET, the
 * GET route has no HEAD twin (mercurius' check compares the method with
 * 'GET' alone), and the JIT never runs a document of several operations (it
 * would run the compiled one, not the one named). Resolvers reach the
 * upstream only through `fastify.vbase`.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import fp from 'fastify-plugin'
import mercurius from 'mercurius'
import type { Config } from '../config.js'
import { GRAPHQL_CSRF_PREVENTION } from '../http/csrf.js'
import { strictUtf8Body } from '../http/limits.js'
import { describeError } from '../errors.js'
import { ROOT_DIR } from '../upstream/contract.js'
import { buildContext } from './context.js'
import { formatErrors, requestErrorBody } from './error-format.js'
import { graphiql } from './graphiql.js'
import {
  acceptNullExtensions, formatBareBatchErrors, interpretSeveralOperations, knownGetOperation, knownOperationName, negotiateMediaType, privateAnswer, requireBearer,
  requireParamTypes, textDocumentsOnly
} from './http.js'
import {
  chargeBatch, graphqlLimits, graphqlParseOptions, graphqlValidationRules, hidingSuggestions, limitBatch, limitBatchIntrospection, limitQueryBytes,
  limitVariableStrings, unlinkTokens, type GraphqlLimitsConfig
} from './limits.js'
import { loaders, observedLoaders } from './loaders.js'
import { buildResolvers } from './resolvers.js'

/** Where the schema lives: the repository root, in src/ and dist/ runs alike. */
export const SCHEMA_FILE = path.join(ROOT_DIR, 'schema.graphql')

/** Options of the GraphQL surface. */
export interface GraphqlOptions {
  /** The clock `BackupPolicy.nextRuns` counts from; `Date.now` by default. */
  now?: () => number
  /** Limits and CSRF prevention (src/graphql/limits.ts, src/http/csrf.ts). */
  config: GraphqlLimitsConfig & Pick<Config, 'CSRF_PREVENTION' | 'GRAPHQL_DOCUMENT_CACHE'>
}

export default fp<GraphqlOptions>(async function graphqlSurface (fastify, opts) {
  const now = opts.now ?? Date.now
  const schema = await readFile(SCHEMA_FILE, 'utf8')
  const limits = graphqlLimits(opts.config)
  const parseOptions = graphqlParseOptions(limits)
  const errorFormatter = limits.hideSuggestions ? hidingSuggestions(formatErrors) : formatErrors

  await fastify.register(mercurius, {
    schema,
    resolvers: buildResolvers(),
    // With metrics, each loader batch's size feeds a histogram.
    loaders: fastify.metrics === undefined ? loaders : observedLoaders(fastify.metrics.loaderBatch),
    context: (request, reply) => buildContext(fastify, request, reply, { now, maxUpstreamCalls: limits.maxUpstreamCalls, maxNodes: limits.maxNodes }),
    errorFormatter,
    allowBatchedQueries: true,
    validationRules: graphqlValidationRules(limits),
    graphql: { parseOptions },
    csrfPrevention: opts.config.CSRF_PREVENTION ? GRAPHQL_CSRF_PREVENTION : false,
    // Served below, self-hosted: mercurius' page loads its scripts from a CDN.
    graphiql: false,
    // Compile an operation to a function from its second run on (one-operation documents only: interpretSeveralOperations).
    jit: 1,
    // Parsed documents mercurius keeps, by query text (GRAPHQL_DOCUMENT_CACHE):
    // that many valid ones (with their JIT-compiled form: no cache, no JIT), and
    // as many that failed validation, each cache holding up to twice that
    // (QuickLRU keeps an old generation). They are counted, not weighed, and a
    // document at the token limit is about 0.8 MB parsed: mercurius' default,
    // 1024, let anyone fill gigabytes with distinct texts, needing no token. At
    // 16, a frontend rotating through 40 operation texts was parsed and
    // validated on every request (about twice the CPU); 32 (default) keeps up to
    // 64 hot texts each, for about 100 MB at most (README, "GraphQL limits").
    cache: opts.config.GRAPHQL_DOCUMENT_CACHE,
    additionalRouteOptions: {
      // HEAD would run a GET's operation, mutations included.
      exposeHeadRoute: false,
      preParsing: strictUtf8Body('application/graphql'),
      preValidation: [acceptNullExtensions, requireParamTypes, limitBatch(limits.maxBatch), limitQueryBytes(limits.maxQueryBytes), chargeBatch(fastify)],
      preHandler: knownGetOperation(parseOptions),
      preSerialization: formatBareBatchErrors(errorFormatter),
      onSend: [negotiateMediaType, privateAnswer]
    }
  })
  fastify.graphql.addHook('preValidation', textDocumentsOnly(parseOptions))
  fastify.graphql.addHook('preValidation', unlinkTokens)
  // Before requireBearer, so a rejected operation is still counted under its name (once that name is a label: src/ops/metrics.ts).
  if (fastify.metrics !== undefined) fastify.graphql.addHook('preExecution', fastify.metrics.graphqlOperation)
  fastify.graphql.addHook('preExecution', requireBearer)
  fastify.graphql.addHook('preExecution', limitBatchIntrospection)
  fastify.graphql.addHook('preExecution', limitVariableStrings)
  fastify.graphql.addHook('preExecution', knownOperationName)
  fastify.graphql.addHook('preExecution', interpretSeveralOperations)
  // Other methods on the endpoint: 405 with Allow (not the app-wide 404), in the GraphQL
  // shape of the endpoint's other refusals (BAD_USER_INPUT, as a mutation over GET).
  fastify.route({
    method: ['PUT', 'PATCH', 'DELETE'],
    url: '/graphql',
    handler: (request, reply) => {
      const view = describeError({ statusCode: 405, message: `method ${request.method} is not allowed for /graphql; allowed: GET, POST` })
      return reply.code(405).header('allow', 'GET, POST').send(requestErrorBody(view))
    }
  })
  await fastify.register(graphiql, { endpoint: '/graphql' })
}, { name: 'graphql-surface', fastify: '5.x', dependencies: ['vbase-upstream'] })
