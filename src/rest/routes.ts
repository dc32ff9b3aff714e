/**
 * REST routes, generated at boot from each method's `google.api.http` rule
 * in the contract: a newly annotated method gets its route with no new code
 * here. Each route authenticates, binds, validates, calls the vbase facade
 * (the only way to the upstream) and renders proto3 JSON; reads also carry
 * caching headers and answer conditional GETs with 304.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { errors } from '../errors.js'
import { preventCsrf, SIMPLE_METHODS } from '../http/csrf.js'
import { contract, type MethodInfo } from '../upstream/contract.js'
import { contextFromHeaders, isBearer, type CallContext, type CancelSignal } from '../upstream/metadata.js'
import { validateRequest } from '../upstream/validate.js'
import { bindRequest, checkBindings } from './bind.js'
import { appendVary, ifNoneMatch, READ_VARY, readHeaders } from './cache-headers.js'
import { parseGrpcTimeout } from './grpc-timeout.js'
import { lowerCamel, toJson, type JsonNames } from './json-mapping.js'
import { compileTemplate, type PathTemplate } from './path-template.js'
import { RenderedBodies } from './rendered.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Read an empty JSON body as no body rather than a 400, as grpc-gateway
     * reads EOF as an empty message; set on the REST routes, honored by the
     * app-wide JSON parser (src/http/limits.ts).
     */
    emptyJsonBody?: boolean
  }
}

/** One generated route: a method and its compiled path. */
export interface RestRoute {
  method: MethodInfo
  path: PathTemplate
}

/** Options of the generated routes. */
export interface RouteOptions {
  /** Field names of JSON responses. */
  names: JsonNames
  /** max-age of reads when the facade gives none (CACHE_TTL_MS). */
  cacheTtlMs: number
  /** The longest deadline of a call (UPSTREAM_TIMEOUT_MS): a longer Grpc-Timeout is cut to it. */
  upstreamTimeoutMs: number
  /** Refuse simple cross-site requests to writes (CSRF_PREVENTION); reads change nothing. */
  csrf?: boolean
}

/** Compile the routes of every method in the contract; an unsupported rule stops the boot. */
export function restRoutes (methods: Iterable<MethodInfo> = contract.methods.values()): RestRoute[] {
  return [...methods].map((method) => {
    checkBindings(method)
    return { method, path: compileTemplate(method.http.pathTemplate) }
  })
}

/**
 * A missing Authorization header is answered 401 here, before the body is
 * parsed and before any upstream call. Anything present passes through as
 * is: the upstream judges the credential, and its UNAUTHENTICATED is a 401 too.
 */
function requireAuthorization (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  // As on /graphql: another scheme (Basic, a bare token) is refused here, not spent on an upstream call.
  done(isBearer(request.headers.authorization) ? undefined : new errors.Unauthenticated())
}

/**
 * A request's cancel signal: aborted once, when its client goes away, and
 * every listener still registered is called then, once.
 *
 * Not an AbortSignal: Node 20's keeps every upstream call that listened to
 * it (a listener added and removed is enough) past the young-generation GC
 * until a full GC, as an old WeakMap's entry would: the
 * whole call, its gRPC stream, metadata and answer, 10 to 12 KB promoted per
 * uncached read, where a listener on an EventEmitter or on this leaves
 * nothing (bench/RESULTS.md, "the AbortSignal that kept every upstream call").
 */
export class Disconnect implements CancelSignal {
  #aborted = false
  #listeners: Set<() => void> | undefined

  get aborted (): boolean {
    return this.#aborted
  }

  /** As on an AbortSignal, a listener added after the abort is never called: check `aborted` first. */
  addEventListener (_type: 'abort', listener: () => void): void {
    if (!this.#aborted) (this.#listeners ??= new Set()).add(listener)
  }

  removeEventListener (_type: 'abort', listener: () => void): void {
    this.#listeners?.delete(listener)
  }

  abort (): void {
    if (this.#aborted) return
    this.#aborted = true
    // The set itself, not a copy: a listener removed by an earlier one is not called, as on an AbortSignal.
    this.#listeners?.forEach((listener) => { listener() })
    this.#listeners = undefined
  }
}

/** Cancel the upstream call when the HTTP client goes away before the answer. */
export function disconnectSignal (reply: FastifyReply): Disconnect {
  const disconnect = new Disconnect()
  // Made on first use: the client may be gone already.
  if (reply.raw.destroyed && !reply.raw.writableFinished) disconnect.abort()
  else reply.raw.once('close', () => { if (!reply.raw.writableFinished) disconnect.abort() })
  return disconnect
}

/** Where a context's lazy `signal` finds its reply, and keeps the signal once made. */
const REPLY = Symbol('reply')
const SIGNAL = Symbol('signal')
interface LazySignalContext extends CallContext { [REPLY]: FastifyReply, [SIGNAL]?: Disconnect }

/** The `signal` getter of every context (see withDisconnectSignal). */
function lazySignal (this: LazySignalContext): Disconnect {
  return (this[SIGNAL] ??= disconnectSignal(this[REPLY]))
}

/**
 * `ctx` with a `signal` made when first read: a cache hit answered from
 * memory never reads it, and a signal and a close listener per
 * request were 3 to 4% of such a hit.
 *
 * One getter for all contexts, its state on the context itself: V8 keeps a
 * getter in the object's hidden class, so a getter closing over each
 * request made a new hidden class per request, and hidden classes live in
 * the old generation until a full GC: every request, reachable from its
 * closure, outlived the young-generation GC and was promoted: about 2 MB
 * per scavenge under load, and GC took a fifth of a cached read's CPU. A
 * getter in an object literal does the same; per-request objects use a
 * shared getter or a class's (bench/RESULTS.md, findings at a23766b).
 */
export function withDisconnectSignal (ctx: CallContext, reply: FastifyReply): CallContext {
  (ctx as LazySignalContext)[REPLY] = reply
  return Object.defineProperty(ctx, 'signal', { enumerable: true, configurable: true, get: lazySignal })
}

const JSON_TYPE = 'application/json; charset=utf-8'

/** With REST_JSON_NAMES=json, input errors name fields as the caller writes them: `organizationId`, `collectionNames[1]`. */
const JSON_FIELD_NAMES = { name: lowerCamel }

/** Register one Fastify route per contract method. */
export function registerRoutes (fastify: FastifyInstance, routes: RestRoute[], opts: RouteOptions): void {
  const rendered = new RenderedBodies()
  // Input errors' field names, chosen once: the handler runs on every request.
  const fieldNames = opts.names === 'json' ? JSON_FIELD_NAMES : undefined
  for (const { method, path } of routes) {
    fastify.route({
      method: method.http.verb,
      url: path.fastifyPath,
      // `POST .../backup/org/{organization_id}` with `Content-Type: application/json` and no body is `{}`.
      config: { emptyJsonBody: true },
      // DELETE always makes a browser preflight: only POST writes need the check.
      onRequest: opts.csrf === true && !method.read && SIMPLE_METHODS.has(method.http.verb) ? [preventCsrf, requireAuthorization] : requireAuthorization,
      handler: async function restHandler (request, reply) {
        const timeoutMs = parseGrpcTimeout(request.headers['grpc-timeout'], opts.upstreamTimeoutMs)
        const input = bindRequest(method, {
          params: request.params as Record<string, string>,
          query: request.query as Record<string, string | string[]>,
          body: request.body
        }, { onUnknownQuery: (key) => request.log.debug({ key }, 'unknown query parameter ignored'), name: fieldNames?.name })
        validateRequest(method.name, input, fieldNames)
        const ctx = withDisconnectSignal(contextFromHeaders(request.headers, timeoutMs === undefined ? {} : { timeoutMs }), reply)
        // The route is generic over the method: the request's static type is
        // unknown here, its shape was checked by bindRequest and validateRequest.
        // Not destructured: reading `value` parses a cached entry, which a rendered hit never needs.
        const result = await fastify.vbase.callWithMeta(method.name, input, ctx)
        const meta = result.meta
        const render = (): string => JSON.stringify(toJson(method.responseType, result.value as object as Record<string, unknown>, opts.names))
        if (!method.read) return reply.type(JSON_TYPE).send(render())
        let body: string | Buffer
        if (meta.etag === undefined) {
          body = render()
        } else {
          const key = `${method.name} ${meta.etag}`
          body = rendered.get(key) ?? rendered.set(key, Buffer.from(render()))
        }

        const headers = readHeaders(meta, body, opts.cacheTtlMs)
        reply.header('etag', headers.etag).header('cache-control', headers.cacheControl)
          .header('vary', appendVary(reply.getHeader('vary'), READ_VARY))
        if (headers.xCache !== undefined) reply.header('x-cache', headers.xCache)
        // 304 is defined for GET and HEAD only (RFC 9110 §13.1.2); the
        // read-only POST (ListBackupByOrg) always answers with the body.
        const conditional = request.method === 'GET' || request.method === 'HEAD'
        if (conditional && ifNoneMatch(request.headers['if-none-match'], headers.etag)) {
          return reply.code(304).send()
        }
        return reply.type(JSON_TYPE).send(body)
      }
    })
  }
}
