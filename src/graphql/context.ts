/**
 * The GraphQL request context: the caller's call context (allowlisted
 * headers, and a signal that cancels its upstream calls when the client goes
 * away, as on REST) and the per-request fetcher every resolver and loader
 * goes through. Built per HTTP request, so nothing in it outlives the caller.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { withDisconnectSignal } from '../rest/routes.js'
import { contextFromHeaders, isBearer, type CallContext } from '../upstream/metadata.js'
import { createFetcher, type Fetcher } from './fetcher.js'
import { createNodeBudget, type NodeBudget } from './limits.js'

declare module 'mercurius' {
  interface MercuriusContext {
    /** The caller's forwarded headers, deadline and cache preference. */
    call: CallContext
    /** This request's memoized, bounded way to the upstream. */
    upstream: Fetcher
    /** What this request's answer may still list. */
    nodes: NodeBudget
    /** The clock `BackupPolicy.nextRuns` counts from. */
    now: () => number
  }
}

/** What the context builder adds to mercurius' own context. */
export interface GatewayContext {
  call: CallContext
  upstream: Fetcher
  nodes: NodeBudget
  now: () => number
}

/**
 * Build a request's context. A caller that disconnects cancels its calls in
 * the queue for an upstream slot and on the wire, which would otherwise hold
 * their slots to the deadline; a read other callers share keeps running
 * (the list cache makes each caller only stop waiting for it).
 */
export function buildContext (app: FastifyInstance, request: FastifyRequest, reply: FastifyReply,
  opts: { now: () => number, maxUpstreamCalls: number, maxNodes: number }): GatewayContext {
  const call = withDisconnectSignal(contextFromHeaders(request.headers), reply)
  return { call, upstream: createFetcher(app.vbase, call, { maxCalls: opts.maxUpstreamCalls }), nodes: createNodeBudget(opts.maxNodes), now: opts.now }
}

/** True when the caller sent `Authorization: Bearer <token>`; the token itself is the upstream's to judge. */
export function hasBearer (call: CallContext): boolean {
  return isBearer(call.headers.authorization)
}
