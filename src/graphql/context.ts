/**
 * The GraphQL request context: the caller's call context (allowlisted
 * headers) and the per-request fetcher every resolver and loader goes
 * through. Built per HTTP request, so nothing in it outlives the caller.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { contextFromHeaders, isBearer, type CallContext } from '../upstream/metadata.js'
import { createFetcher, type Fetcher } from './fetcher.js'

declare module 'mercurius' {
  interface MercuriusContext {
    /** The caller's forwarded headers, deadline and cache preference. */
    call: CallContext
    /** This request's memoized, bounded way to the upstream. */
    upstream: Fetcher
    /** The clock `BackupPolicy.nextRuns` counts from. */
    now: () => number
  }
}

/** What the context builder adds to mercurius' own context. */
export interface GatewayContext {
  call: CallContext
  upstream: Fetcher
  now: () => number
}

/** Build a request's context. */
export function buildContext (app: FastifyInstance, request: FastifyRequest, now: () => number): GatewayContext {
  const call = contextFromHeaders(request.headers)
  return { call, upstream: createFetcher(app.vbase, call), now }
}

/** True when the caller sent `Authorization: Bearer <token>`; the token itself is the upstream's to judge. */
export function hasBearer (call: CallContext): boolean {
  return isBearer(call.headers.authorization)
}
