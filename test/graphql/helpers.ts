/**
 * GraphQL test helpers: one POST to /graphql with the dev token, read back
 * as `{ status, body, headers }`. Requests send `Cache-Control: no-cache`
 * by default so the facade's list cache and its in-flight dedupe stay out
 * of the way: upstream call counts then measure the GraphQL layer alone.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { principalHasher } from '../../src/cache/keys.js'
import { loadConfig } from '../../src/config.js'
import graphql from '../../src/graphql/plugin.js'
import { DEV_TOKEN, type Simulator } from '../../src/simulator/index.js'
import upstream from '../../src/upstream/plugin.js'
import type { Teardownable } from '../helpers/app.js'

/** The dev token's Authorization value. */
export const BEARER = `Bearer ${DEV_TOKEN}`

/** One formatted GraphQL error as the gateway sends it. */
export interface GqlError {
  message: string
  path?: Array<string | number>
  locations?: Array<{ line: number, column: number }>
  extensions: { code: string, grpcStatus: string, field?: string }
}

/** A GraphQL response, loosely typed for assertions. */
export interface GqlBody {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data?: any
  errors?: GqlError[]
}

export interface GqlOptions {
  variables?: Record<string, unknown> | null
  operationName?: string | null
  /** Headers to send; `authorization` defaults to the dev token, `null` leaves it out. */
  headers?: Record<string, string | null>
}

/** POST one operation and parse the answer. */
export async function gql (app: FastifyInstance, query: string, opts: GqlOptions = {}): Promise<{ status: number, body: GqlBody, headers: Record<string, unknown> }> {
  const res = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: headersOf(opts.headers),
    payload: { query, ...(opts.variables !== undefined ? { variables: opts.variables } : {}), ...(opts.operationName !== undefined ? { operationName: opts.operationName } : {}) }
  })
  return { status: res.statusCode, body: res.json() as GqlBody, headers: res.headers }
}

/** Request headers: JSON, no-cache and the dev token unless overridden (`null` removes one). */
export function headersOf (overrides: Record<string, string | null> = {}): Record<string, string> {
  const all: Record<string, string | null> = { 'content-type': 'application/json', 'cache-control': 'no-cache', authorization: BEARER, ...overrides }
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null))
}

/** The error codes of a response, in order. */
export function codes (body: GqlBody): string[] {
  return (body.errors ?? []).map((e) => e.extensions.code)
}

/**
 * The GraphQL surface over `sim` with its clock injected, for what
 * `BackupPolicy.nextRuns` counts from: buildApp (src/app.ts) gives the
 * GraphQL plugin no clock. Only the upstream and GraphQL plugins, registered
 * as src/app.ts does; closed at teardown.
 */
export async function buildClockedGraphqlApp (t: Teardownable, sim: Simulator, now: () => number): Promise<FastifyInstance> {
  const config = loadConfig({ LOG_LEVEL: 'silent' })
  const app = Fastify()
  await app.register(upstream, { config, address: sim.address, principal: principalHasher(config.PRINCIPAL_HASH_SECRET) })
  await app.register(graphql, { config, now })
  t.teardown(() => app.close())
  await app.ready()
  return app
}
