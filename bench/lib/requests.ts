/**
 * The bench's own HTTP requests, outside the load runs: one request of a
 * scenario (to count its upstream calls), and the checks made before any
 * scenario runs: the seeded list is what the scenarios assume, and the
 * naive schema (the fan-out query) and the proxy reference (the REST list)
 * answer exactly as the gateway does.
 */
import { AUTHORIZATION, BACKUPS_PER_SERVICE, GRAPHQL_FANOUT } from './data.js'
import type { LoadSpec } from './load.js'
import type { Budget } from './modes.js'
import { NAIVE_PATH } from './naive-graphql.js'

/** A fixed HTTP request, for a run of a given budget. */
export type HttpSpec = (b: Budget) => Omit<LoadSpec, 'connections'>

/** Send one request of a spec; it must succeed, without a GraphQL error. */
export async function fetchSpec (spec: Omit<LoadSpec, 'connections'>): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${spec.port}${spec.path}`, {
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    ...(spec.body === undefined ? {} : { body: spec.body })
  })
  const text = await res.text()
  // A GraphQL field error still answers 200.
  if (res.status !== 200 || text.startsWith('{"errors"') || text.includes('"errors":[')) {
    throw new Error(`${spec.method ?? 'GET'} ${spec.path} answered ${res.status}: ${text.slice(0, 300)}`)
  }
}

/** A budget as runLoad's options. */
export function budgetOf (b: Budget): { durationMs: number } | { amount: number } {
  return b.amount === undefined ? { durationMs: b.ms } : { amount: b.amount }
}

/** One request to the gateway with the bench's token, read through the cache; it must answer 200. */
export async function fetchBody (port: number, method: 'GET' | 'POST', urlPath: string, body: string | undefined): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method,
    headers: { authorization: AUTHORIZATION, 'cache-control': 'no-cache', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body })
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`${method} ${urlPath} answered ${res.status}: ${text.slice(0, 300)}`)
  return text
}

/** The seeded list must be what the scenarios assume. */
export function checkListBodies (rest: string, graphql: string): void {
  const restCount = (JSON.parse(rest) as { backups: unknown[] }).backups.length
  const gql = JSON.parse(graphql) as { data?: { service?: { backups?: { nodes: unknown[] } } }, errors?: unknown[] }
  if (restCount !== BACKUPS_PER_SERVICE) throw new Error(`REST list holds ${restCount} backups, expected ${BACKUPS_PER_SERVICE}`)
  if (gql.errors !== undefined || gql.data?.service?.backups?.nodes.length !== BACKUPS_PER_SERVICE) {
    throw new Error(`GraphQL list is not the seeded one: ${graphql.slice(0, 300)}`)
  }
}

/** A reference that claims to answer the gateway's bytes must answer exactly them. */
export function checkSameBody (who: string, expected: string, actual: string): void {
  if (actual === expected) return
  let i = 0
  while (actual[i] === expected[i]) i++
  throw new Error(`${who} answers differently from the gateway, from character ${i}: ` +
    `${expected.slice(Math.max(0, i - 80), i + 120)} <> ${actual.slice(Math.max(0, i - 80), i + 120)}`)
}

/** Loaders and naive resolvers must answer the fan-out query identically, without errors. */
export async function checkFanout (port: number, naivePort: number): Promise<void> {
  const body = JSON.stringify(GRAPHQL_FANOUT)
  const [loaders, naive] = await Promise.all([fetchBody(port, 'POST', '/graphql', body), fetchBody(naivePort, 'POST', NAIVE_PATH, body)])
  for (const [name, text] of [['gateway', loaders], ['naive', naive]] as const) {
    const at = text.indexOf('"errors"')
    if (at >= 0) throw new Error(`fan-out query failed on the ${name}: ${text.slice(at, at + 500)}`)
  }
  checkSameBody('the naive fan-out', loaders, naive)
}
