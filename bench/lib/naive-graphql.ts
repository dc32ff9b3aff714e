/**
 * Scenario C's baseline: the production schema and field logic, resolved
 * naively. Every field the gateway resolves through a loader here resolves
 * on its own, through a fetcher with no per-request memo and no batching,
 * so each field makes its own upstream call. Everything else (validation,
 * the vbase facade, mapping, error formatting, the bearer check) is the
 * production code, so the comparison isolates what the loaders buy.
 *
 * It is a second mercurius in an encapsulated scope on /naive/graphql;
 * production code is untouched.
 */
import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import mercurius, { type IResolvers, type MercuriusContext, type MercuriusLoaders } from 'mercurius'
import type * as ErrorFormatModule from '../../src/graphql/error-format.js'
import type * as HttpModule from '../../src/graphql/http.js'
import type * as LimitsModule from '../../src/graphql/limits.js'
import type * as LoadersModule from '../../src/graphql/loaders.js'
import type * as PluginModule from '../../src/graphql/plugin.js'
import type * as ResolversModule from '../../src/graphql/resolvers.js'
import type * as MetadataModule from '../../src/upstream/metadata.js'
import type * as ValidateModule from '../../src/upstream/validate.js'
import type { Fetcher } from '../../src/graphql/fetcher.js'
import { importGateway, type CodeRoot } from './ipc.js'

/** Where the naive schema is served. */
export const NAIVE_PATH = '/naive/graphql'

type LoaderEntry = { loader: (queries: Array<{ obj: unknown, params: unknown }>, ctx: MercuriusContext) => Promise<unknown[]> }
type Resolver = (obj: unknown, params: unknown, ctx: MercuriusContext) => Promise<unknown>

/** Turn a production loader into a field resolver that answers one object at a time. */
function perField (entry: LoaderEntry): Resolver {
  return async (obj, params, ctx) => {
    const [result] = await entry.loader([{ obj, params }], ctx)
    if (result instanceof Error) throw result
    return result
  }
}

/** The production resolvers with every loader replaced by a per-field resolver. */
function naiveResolvers (resolvers: IResolvers, loaders: MercuriusLoaders): IResolvers {
  const out: Record<string, unknown> = { ...resolvers }
  for (const [type, fields] of Object.entries(loaders)) {
    const own = { ...(resolvers[type] as Record<string, unknown> | undefined) }
    for (const [field, entry] of Object.entries(fields as Record<string, LoaderEntry>)) own[field] = perField(entry)
    out[type] = own
  }
  return out as IResolvers
}

/** Register the naive GraphQL surface on `app` (after buildApp, before listen). */
export async function registerNaiveGraphql (app: FastifyInstance, root: CodeRoot): Promise<void> {
  const { buildResolvers } = await importGateway<typeof ResolversModule>(root, 'graphql/resolvers.js')
  const { loaders } = await importGateway<typeof LoadersModule>(root, 'graphql/loaders.js')
  const { createNodeBudget } = await importGateway<typeof LimitsModule>(root, 'graphql/limits.js')
  const { formatErrors } = await importGateway<typeof ErrorFormatModule>(root, 'graphql/error-format.js')
  const { requireBearer } = await importGateway<typeof HttpModule>(root, 'graphql/http.js')
  const { SCHEMA_FILE } = await importGateway<typeof PluginModule>(root, 'graphql/plugin.js')
  const { contextFromHeaders } = await importGateway<typeof MetadataModule>(root, 'upstream/metadata.js')
  const { validateRequest } = await importGateway<typeof ValidateModule>(root, 'upstream/validate.js')
  const schema = await readFile(SCHEMA_FILE, 'utf8')

  // Not fastify-plugin: the scope is encapsulated, so this mercurius' `graphql` decorator shadows the production one only here.
  await app.register(async function naiveGraphql (scope) {
    await scope.register(mercurius, {
      schema,
      path: NAIVE_PATH,
      graphiql: false,
      jit: 1,
      resolvers: naiveResolvers(buildResolvers(), loaders),
      errorFormatter: formatErrors,
      context: (request) => {
        const call = contextFromHeaders(request.headers)
        // Validated like the production fetcher, but no memo, no limiter: every read goes to the facade.
        const upstream: Fetcher = {
          read (method, req, opts) {
            validateRequest(method, req as Record<string, unknown>, opts)
            return app.vbase.call(method, req, call)
          },
          write (method, req, opts) {
            validateRequest(method, req as Record<string, unknown>, opts)
            return app.vbase.call(method, req, call)
          },
          // Read by the metrics' operation labels only, which this scope does not install.
          answered: false
        }
        // The default GRAPHQL_MAX_NODES, as production has it.
        return { call, upstream, nodes: createNodeBudget(10_000), now: Date.now }
      }
    })
    scope.graphql.addHook('preExecution', requireBearer)
  })
}
