/**
 * Prometheus metrics at `/metrics`, in a registry per app instance (tests
 * build several apps in one process; prom-client's global registry would
 * mix them): Node's default process metrics, HTTP requests by route or
 * GraphQL operation, upstream calls by method and gRPC code, calls in
 * flight, the list cache's reads and invalidations, and GraphQL loader batch
 * sizes. The other plugins feed it through `fastify.metrics` when this
 * plugin was registered before them. `/metrics` asks no token: it must not
 * be reachable from the public side (METRICS_ENABLED=false turns it all off).
 */
import type { ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql'
import type { MercuriusContext } from 'mercurius'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { CacheHooks } from '../cache/stats.js'
import type { HeldEntries } from '../cache/storage.js'
import type { Config } from '../config.js'
import { grpcStatusName } from '../errors.js'
import { unansweredStatus } from '../http/limits.js'
import type { BatchObserver } from '../graphql/loaders.js'
import type { UpstreamObserver } from '../upstream/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's metrics and their feeds; undefined with METRICS_ENABLED=false. */
    metrics?: GatewayMetrics
  }
}

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics'

/** Distinct GraphQL operation names kept as labels; later names count as `(other)`, so callers cannot grow the series without bound. */
export const MAX_OPERATION_LABELS = 100
/** Longer operation names count as `(other)`. */
const MAX_OPERATION_NAME = 64
/**
 * The operation labels of a batch, of an operation without a name, and of
 * the names that are not labels. Parenthesized, as no GraphQL name can be:
 * an operation named `batch` or `other` keeps a label of its own.
 */
export const BATCH_OPERATION = '(batch)'
export const ANONYMOUS_OPERATION = '(anonymous)'
export const OTHER_OPERATION = '(other)'
/** `route` of requests no route matched (their raw URL would be unbounded). */
const UNMATCHED = 'unmatched'
/** `status_code` of a request whose connection closed before its answer was written (src/http/limits.ts). */
export { CLIENT_CLOSED } from '../http/limits.js'

// Seconds. From 1 ms: a cache hit answers in about 1 ms, a loopback upstream call in a few,
// and below 5 ms they would all share one bucket. Up to 10 s: above UPSTREAM_TIMEOUT_MS's default.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const BATCH_BUCKETS = [1, 2, 3, 5, 10, 20, 50, 100]

/** One app's metrics and the feeds the other plugins call. */
export interface GatewayMetrics {
  /** This app's own metrics (the process metrics live in one registry per process). */
  readonly registry: Registry
  /** The Prometheus text of this app's metrics and, unless turned off, the process metrics. */
  render (): Promise<string>
  /** For createUpstreamClient: calls, latency and calls in flight per method. */
  readonly upstream: UpstreamObserver
  /** For setupCache: reads by result, invalidations, storage errors. */
  readonly cache: CacheHooks
  /** For observedLoaders: the size of each GraphQL loader batch. */
  readonly loaderBatch: BatchObserver
  /** For the memory cache: report what it holds, as `read` says at each scrape. */
  cacheHeld (read: () => HeldEntries | undefined): void
  /** A mercurius preExecution hook: notes the operation the HTTP request runs, for its label when it is counted. */
  readonly graphqlOperation: (schema: unknown, document: DocumentNode, context: MercuriusContext) => void
  /** Count one finished HTTP request, under `status` (default: the reply's). */
  observeRequest (request: FastifyRequest, reply: FastifyReply, status?: number): void
  /** Count one request Node's HTTP parser refused (src/http/limits.ts' clientErrorHandler): no route or hook saw it. */
  observeMalformed (status: number): void
}

/** A metric's children by label key, each made once. */
class Children<T> {
  readonly #byKey = new Map<string, T>()

  get (key: string, make: () => T): T {
    let child = this.#byKey.get(key)
    if (child === undefined) {
      child = make()
      this.#byKey.set(key, child)
    }
    return child
  }
}

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** Include Node's default process metrics (CPU, memory, event loop, GC); default true. */
  defaultMetrics?: boolean
}

let processRegistry: Registry | undefined

/**
 * Node's default metrics describe the process, not an app, and collecting
 * them starts a GC observer and an event-loop monitor that are never
 * stopped: so once per process, shared by every app in it.
 */
function processMetrics (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/** Build the metrics of one app, in their own registry. */
export function createMetrics (opts: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry()
  // Started now, so GC durations count from boot rather than from the first scrape.
  const perProcess = opts.defaultMetrics ?? true ? processMetrics() : undefined
  const registers = [registry]

  const httpLabels = ['method', 'route', 'operation', 'status_code'] as const
  const httpRequests = new Counter({ name: 'vbgw_http_requests_total', help: "HTTP requests by route pattern (or GraphQL operation) and status; 499 when the connection closed before the answer's head was written", labelNames: httpLabels, registers })
  const httpDuration = new Histogram({ name: 'vbgw_http_request_duration_seconds', help: 'HTTP request latency', labelNames: httpLabels, buckets: LATENCY_BUCKETS, registers })
  const malformedRequests = new Counter({
    name: 'vbgw_http_malformed_requests_total',
    help: "Requests Node's HTTP parser refused before any route saw them (431 head too large, 400 bad framing, 408 too slow...), by the status answered; not in vbgw_http_requests_total",
    labelNames: ['status_code'],
    registers
  })
  const upstreamCalls = new Counter({ name: 'vbgw_upstream_calls_total', help: 'VBaseService call attempts by method and gRPC code (a retried read counts each try)', labelNames: ['method', 'code'], registers })
  const upstreamDuration = new Histogram({ name: 'vbgw_upstream_call_duration_seconds', help: 'VBaseService call attempt latency', labelNames: ['method', 'code'], buckets: LATENCY_BUCKETS, registers })
  const upstreamInFlight = new Gauge({ name: 'vbgw_upstream_in_flight', help: 'VBaseService calls in flight', labelNames: ['method'], registers })
  const cacheReads = new Counter({ name: 'vbgw_cache_reads_total', help: 'List cache reads by method and result (hit, miss, dedupe, bypass)', labelNames: ['method', 'result'], registers })
  const cacheInvalidations = new Counter({ name: 'vbgw_cache_invalidations_total', help: 'Writes that invalidated cached lists, by write method', labelNames: ['method'], registers })
  const cacheStorageErrors = new Counter({
    name: 'vbgw_cache_storage_errors_total',
    help: 'Cache storage failures: kind="operation", operations that failed or timed out (the read went upstream); kind="connection", Redis connection errors (about one per reconnect attempt while it is down, with no read waiting)',
    labelNames: ['kind'],
    registers
  })
  const loaderBatchSize = new Histogram({ name: 'vbgw_graphql_loader_batch_size', help: 'Queries per GraphQL loader batch, by type and field', labelNames: ['type', 'field'], buckets: BATCH_BUCKETS, registers })

  // The children of each label set, looked up by one string, so an update
  // builds no label object (prom-client still hashes the labels it was given
  // on each update). Bounded as the labels are: route patterns, status
  // codes, capped operation names, contract methods, gRPC codes.
  const httpSeries = new Children<{ requests: Counter.Internal, duration: Histogram.Internal<typeof httpLabels[number]> }>()
  const inFlightOf = new Children<Gauge.Internal<'method'>>()
  const callSeries = new Children<{ calls: Counter.Internal, duration: Histogram.Internal<'method' | 'code'> }>()
  const cacheReadsOf = new Children<Counter.Internal>()

  const countRead = (method: string, result: string): void => {
    cacheReadsOf.get(`${method} ${result}`, () => cacheReads.labels({ method, result })).inc()
  }

  const knownOperations = new Set<string>()

  /**
   * A name becomes a label when a request under it was answered by VBase
   * (or by its caller's own cache entries): VBase accepted that caller's
   * token. Until then it counts as `(other)`, so callers without a valid token
   * cannot use up the labels. Once a label, a name counts every request
   * under it, refused ones included. `(batch)` and `(anonymous)` are
   * always labels.
   */
  function operationLabel (name: string, answered: boolean): string {
    if (knownOperations.has(name) || name === BATCH_OPERATION || name === ANONYMOUS_OPERATION) return name
    if (!answered || name.length > MAX_OPERATION_NAME || knownOperations.size >= MAX_OPERATION_LABELS) return OTHER_OPERATION
    knownOperations.add(name)
    return name
  }

  return {
    registry,
    render: () => (perProcess === undefined ? registry : Registry.merge([perProcess, registry])).metrics(),
    upstream: {
      onCallStart: (method) => { inFlightOf.get(method, () => upstreamInFlight.labels({ method })).inc() },
      onCallEnd: (method, code, seconds) => {
        inFlightOf.get(method, () => upstreamInFlight.labels({ method })).dec()
        const series = callSeries.get(`${method} ${code}`, () => {
          const labels = { method, code: grpcStatusName(code) }
          return { calls: upstreamCalls.labels(labels), duration: upstreamDuration.labels(labels) }
        })
        series.calls.inc()
        series.duration.observe(seconds)
      }
    },
    cache: {
      onHit: (method) => { countRead(method, 'hit') },
      onMiss: (method) => { countRead(method, 'miss') },
      onDedupe: (method) => { countRead(method, 'dedupe') },
      onBypass: (method) => { countRead(method, 'bypass') },
      onInvalidate: (method) => { cacheInvalidations.inc({ method }) },
      onStorageError: (_err, kind) => { cacheStorageErrors.inc({ kind }) }
    },
    loaderBatch: (type, field, size) => { loaderBatchSize.observe({ type, field }, size) },
    cacheHeld (read) {
      // Made only for a memory cache: with Redis, a gauge stuck at 0 would mislead.
      new Gauge({ name: 'vbgw_cache_memory_entries', help: 'Entries held by the in-memory list cache', registers, collect () { this.set(read()?.entries ?? 0) } })
      new Gauge({ name: 'vbgw_cache_memory_bytes', help: 'Bytes held by the in-memory list cache, as CACHE_MAX_BYTES counts them', registers, collect () { this.set(read()?.bytes ?? 0) } })
    },
    graphqlOperation (_schema, document, context) {
      const request: OperationRequest | undefined = context.reply?.request
      if (request === undefined) return
      // One label per HTTP request: a batch of several operations is `(batch)`.
      const name = (context.operationsCount ?? 1) > 1 ? BATCH_OPERATION : executedOperation(document, context)?.name?.value ?? ANONYMOUS_OPERATION
      request[kOperation] = { name, upstream: context.upstream }
    },
    observeRequest (request, reply, status = reply.statusCode) {
      const method = request.method
      // The pattern (`/v1/vbase/:service_id/backup`), never the raw URL: ids would make a series each.
      const route = request.routeOptions.url ?? (request as LabelledRequest)[ROUTE_LABEL] ?? UNMATCHED
      // Empty (no label) outside GraphQL and for GraphQL requests rejected before execution.
      const ran = (request as OperationRequest)[kOperation]
      const operation = ran === undefined ? '' : operationLabel(ran.name, ran.upstream.answered)
      const series = httpSeries.get(`${method} ${route} ${operation} ${status}`, () => {
        const labels = { method, route, operation, status_code: String(status) }
        return { requests: httpRequests.labels(labels), duration: httpDuration.labels(labels) }
      })
      series.requests.inc()
      series.duration.observe(reply.elapsedTime / 1000)
    },
    observeMalformed (status) {
      malformedRequests.inc({ status_code: String(status) })
    }
  }
}

/** The operation a document runs: its only one, or the one the request names. */
function executedOperation (document: DocumentNode, context: MercuriusContext): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  if (ops.length <= 1) return ops[0]
  const request = context.reply.request
  const body = request.body
  // A batch entry, a GET's query string, or a POST body.
  const params = Array.isArray(body) ? body[context.operationId ?? 0] as unknown : request.method === 'GET' ? request.query : body
  const wanted = (params as { operationName?: unknown } | null | undefined)?.operationName
  return ops.find((op) => op.name?.value === wanted)
}

/**
 * The route pattern a request no route took still counts under (a 405 on a
 * known path: src/rest/method-not-allowed.ts); `unmatched` without it.
 */
export const ROUTE_LABEL = Symbol('vbgw.routeLabel')
export type LabelledRequest = FastifyRequest & { [ROUTE_LABEL]?: string }

/**
 * The GraphQL operation an HTTP request ran, and its fetcher, kept on the
 * request itself so nothing outlives it. Not in a WeakMap keyed by
 * requests: V8's young-generation GC keeps every entry of a long-lived
 * WeakMap, so each request, its key, was promoted and lived until a full GC
 * (about 2 MB promoted per young GC under load, bench/RESULTS.md).
 */
const kOperation = Symbol('vbgw.graphqlOperation')
type OperationRequest = FastifyRequest & { [kOperation]?: { name: string, upstream: { readonly answered: boolean } } }

/** The reply a response counts for; null once counted. */
const kReply = Symbol('vbgw.metricsReply')
type TrackedResponse = ServerResponse & { [kReply]?: FastifyReply | null }

/** Options of the metrics plugin. */
export interface MetricsPluginOptions {
  config: Pick<Config, 'METRICS_ENABLED'>
}

export default fp<MetricsPluginOptions>(async function metricsPlugin (fastify, { config }) {
  // Disabled: no decorator, so the other plugins install no hooks at all.
  if (!config.METRICS_ENABLED) return
  const metrics = createMetrics()
  fastify.decorate('metrics', metrics)

  // Fastify's onResponse runs on 'finish' only: an answer whose connection
  // closed first (the client left, a body cut off by REQUEST_TIMEOUT_MS, an
  // answer not taken in time) never reaches it. Its 'close' counts those;
  // whichever of the two comes first counts the request, once.
  function closed (this: TrackedResponse): void {
    const reply = this[kReply]
    // Counted already, or onResponse is about to.
    if (reply == null || this.writableFinished) return
    this[kReply] = null
    const status = unansweredStatus(this, reply.request.raw.socket)
    metrics.observeRequest(reply.request, reply, status)
  }
  // Scrapes would only measure themselves.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== METRICS_PATH) {
      const response = reply.raw as TrackedResponse
      response[kReply] = reply
      // One shared listener, no closure per request.
      response.on('close', closed)
    }
    done()
  })
  fastify.addHook('onResponse', (request, reply, done) => {
    const response = reply.raw as TrackedResponse
    // Tracked at onRequest (scrapes are not), and not counted at 'close' already.
    if (response[kReply] != null) {
      response[kReply] = null
      metrics.observeRequest(request, reply)
    }
    done()
  })

  fastify.get(METRICS_PATH, { logLevel: 'warn' }, async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.render())
  })
}, { name: 'metrics', fastify: '5.x' })
