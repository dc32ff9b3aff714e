/**
 * Coded errors and the one status table. Every error the gateway shows a
 * caller, from REST or GraphQL, goes through `describeError`, so a gRPC code
 * means the same HTTP status and GraphQL code on both surfaces.
 */
import createError from '@fastify/error'
import { status as GrpcStatus } from '@grpc/grpc-js'

/** How one gRPC status is shown to callers. */
export interface StatusMapping {
  /** HTTP status (grpc-gateway's table; 499 for CANCELLED). */
  http: number
  /** GraphQL `extensions.code`. */
  graphql: string
}

/** The one table: gRPC status -> HTTP status -> GraphQL code. Exhaustive over grpc-js' enum. */
export const STATUS_TABLE: Readonly<Record<GrpcStatus, StatusMapping>> = {
  [GrpcStatus.OK]: { http: 200, graphql: 'OK' },
  [GrpcStatus.CANCELLED]: { http: 499, graphql: 'CANCELLED' },
  [GrpcStatus.UNKNOWN]: { http: 500, graphql: 'INTERNAL_SERVER_ERROR' },
  [GrpcStatus.INVALID_ARGUMENT]: { http: 400, graphql: 'BAD_USER_INPUT' },
  [GrpcStatus.DEADLINE_EXCEEDED]: { http: 504, graphql: 'DEADLINE_EXCEEDED' },
  [GrpcStatus.NOT_FOUND]: { http: 404, graphql: 'NOT_FOUND' },
  [GrpcStatus.ALREADY_EXISTS]: { http: 409, graphql: 'ALREADY_EXISTS' },
  [GrpcStatus.PERMISSION_DENIED]: { http: 403, graphql: 'FORBIDDEN' },
  [GrpcStatus.RESOURCE_EXHAUSTED]: { http: 429, graphql: 'RESOURCE_EXHAUSTED' },
  [GrpcStatus.FAILED_PRECONDITION]: { http: 400, graphql: 'FAILED_PRECONDITION' },
  [GrpcStatus.ABORTED]: { http: 409, graphql: 'ABORTED' },
  [GrpcStatus.OUT_OF_RANGE]: { http: 400, graphql: 'BAD_USER_INPUT' },
  [GrpcStatus.UNIMPLEMENTED]: { http: 501, graphql: 'UNSUPPORTED_BY_UPSTREAM' },
  [GrpcStatus.INTERNAL]: { http: 500, graphql: 'INTERNAL_SERVER_ERROR' },
  [GrpcStatus.UNAVAILABLE]: { http: 503, graphql: 'UPSTREAM_UNAVAILABLE' },
  [GrpcStatus.DATA_LOSS]: { http: 500, graphql: 'INTERNAL_SERVER_ERROR' },
  [GrpcStatus.UNAUTHENTICATED]: { http: 401, graphql: 'UNAUTHENTICATED' }
}

const FALLBACK: StatusMapping = { http: 500, graphql: 'INTERNAL_SERVER_ERROR' }

/** Pure lookup; a code outside the table (a newer or bogus one) falls back to 500. */
export function mapGrpcStatus (code: number): StatusMapping {
  return STATUS_TABLE[code as GrpcStatus] ?? FALLBACK
}

/** The grpc-js status name of a code, e.g. `NOT_FOUND`; `UNKNOWN` for codes outside the enum. */
export function grpcStatusName (code: number): string {
  return GrpcStatus[code] ?? 'UNKNOWN'
}

/**
 * Why a failure is what it is, for a program to read: `extensions.reason`
 * on GraphQL, a google.rpc.ErrorInfo in a REST Status body's details.
 */
export type ErrorReason = 'WRITE_OUTCOME_UNKNOWN'

/** The ErrorInfo `domain` of the gateway's reasons. */
export const ERROR_DOMAIN = 'vbase-gateway'

/**
 * A google.rpc error detail as callers see it: its `@type`
 * (`type.googleapis.com/google.rpc.BadRequest`) and the message's fields
 * under their proto names, as in a REST Status body's `details`.
 */
export type RpcDetail = Readonly<{ '@type': string } & Record<string, unknown>>

/** What an UpstreamError may carry besides its code, message and reason. */
export interface UpstreamErrorExtras {
  /** VBase's own google.rpc details (src/upstream/status-details.ts), shown after the gateway's. */
  statusDetails?: readonly RpcDetail[]
  /** The call that failed was a write (GraphQL names a write's request fields as its mutation's `input`). */
  write?: boolean
}

/** An error the upstream answered: its gRPC code, message and details. */
export class UpstreamError extends Error {
  readonly code = 'VBGW_UPSTREAM_ERROR'
  readonly grpcCode: GrpcStatus
  readonly details: string
  readonly statusCode: number
  readonly reason?: ErrorReason
  /**
   * VBase's google.rpc details of a caller-side failure, safe to show
   * (scrubbed, bounded, no DebugInfo); never set for a server-side one.
   */
  readonly statusDetails?: readonly RpcDetail[]
  /** True when the call that failed was a write. */
  readonly write?: boolean
  constructor (grpcCode: GrpcStatus, message: string, details = '', reason?: ErrorReason, extras: UpstreamErrorExtras = {}) {
    super(message)
    this.name = 'UpstreamError'
    this.grpcCode = grpcCode
    this.details = details
    this.statusCode = mapGrpcStatus(grpcCode).http
    if (reason !== undefined) this.reason = reason
    if (extras.statusDetails !== undefined && extras.statusDetails.length > 0) this.statusDetails = extras.statusDetails
    if (extras.write === true) this.write = true
  }
}

/**
 * Messages of the upstream failures whose grpc-js text can hold addresses or
 * internals: the client shows these instead, and the gateway words the same
 * failures it detects itself (a caller gone, a waiter's own deadline) alike.
 */
export const SAFE_UPSTREAM_MESSAGES: Readonly<Partial<Record<GrpcStatus, string>>> = {
  [GrpcStatus.UNAVAILABLE]: 'the backup service is unavailable, try again shortly',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'the backup service did not answer in time',
  [GrpcStatus.CANCELLED]: 'the request was cancelled',
  [GrpcStatus.UNKNOWN]: 'the backup service failed',
  [GrpcStatus.INTERNAL]: 'the backup service failed',
  [GrpcStatus.DATA_LOSS]: 'the backup service failed',
  [GrpcStatus.UNIMPLEMENTED]: 'this operation is not supported by the backup service'
}

/**
 * Messages of the caller's side of things (4xx), which keep the upstream's
 * words, for when it gave none. RESOURCE_EXHAUSTED is a quota as often as
 * a load: VBase's words say which ("organization may hold at most 100
 * backups") and are kept.
 */
export const WORDLESS_UPSTREAM_MESSAGES: Readonly<Partial<Record<GrpcStatus, string>>> = {
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'the backup service is out of capacity, try again later'
}

/**
 * Write failures after which the write may still have happened upstream:
 * the list cache invalidates anyway, and the caller is told so. UNAVAILABLE
 * included: a connection dropped after the request was sent fails the call
 * with it too.
 */
export const OUTCOME_UNKNOWN: ReadonlySet<number> = new Set<number>([GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED, GrpcStatus.UNKNOWN, GrpcStatus.INTERNAL, GrpcStatus.UNAVAILABLE])

const MAY_HAVE_APPLIED = 'the write may have been applied, check before sending it again'

/**
 * The messages of a write that failed with an OUTCOME_UNKNOWN code after it
 * was sent: sending it again blindly may make it twice, or fail with
 * ALREADY_EXISTS, so a frontend should look (list) first. Such an error's
 * reason is WRITE_OUTCOME_UNKNOWN.
 */
export const WRITE_OUTCOME_UNKNOWN_MESSAGES: Readonly<Partial<Record<GrpcStatus, string>>> = {
  [GrpcStatus.UNAVAILABLE]: `the connection to the backup service failed before it answered: ${MAY_HAVE_APPLIED}`,
  [GrpcStatus.DEADLINE_EXCEEDED]: `the backup service did not answer in time: ${MAY_HAVE_APPLIED}`,
  [GrpcStatus.CANCELLED]: `the request was cancelled: ${MAY_HAVE_APPLIED}`,
  [GrpcStatus.UNKNOWN]: `the backup service failed: ${MAY_HAVE_APPLIED}`,
  [GrpcStatus.INTERNAL]: `the backup service failed: ${MAY_HAVE_APPLIED}`
}

/** An upstream failure of `code` with its safe message, raised by the gateway itself (e.g. CANCELLED when the caller goes away). */
export function safeUpstreamError (code: GrpcStatus, details = ''): UpstreamError {
  return new UpstreamError(code, SAFE_UPSTREAM_MESSAGES[code] ?? WORDLESS_UPSTREAM_MESSAGES[code] ?? grpcStatusName(code), details)
}

/** An error the gateway raises itself, carrying the gRPC code it stands for. */
export interface GatewayError extends Error {
  code: string
  statusCode?: number
  grpcCode?: GrpcStatus
  /** For input errors: the request field at fault (proto name). */
  field?: string
}

function coded<A extends unknown[]> (code: string, message: string, grpcCode: GrpcStatus) {
  const Base = createError<A>(code, message, mapGrpcStatus(grpcCode).http)
  return class extends Base { readonly grpcCode = grpcCode }
}

/** The registry of the gateway's own errors, grouped by area, each code prefixed VBGW_. */
export const errors = {
  // input
  InvalidArgument: class extends coded<[string]>('VBGW_INVALID_ARGUMENT', '%s', GrpcStatus.INVALID_ARGUMENT) {
    field?: string
    constructor (message: string, field?: string) { super(message); if (field !== undefined) this.field = field }
  },
  // auth
  Unauthenticated: coded<[]>('VBGW_UNAUTHENTICATED', 'missing bearer token: send "Authorization: Bearer <token>"', GrpcStatus.UNAUTHENTICATED),
  MalformedCredential: coded<[]>('VBGW_MALFORMED_CREDENTIAL', 'the Authorization header holds characters outside visible ASCII: send "Authorization: Bearer <token>"', GrpcStatus.UNAUTHENTICATED),
  // upstream
  UnreadableSchedule: coded<[]>('VBGW_UNREADABLE_SCHEDULE', 'the policy\'s schedule is not a five-field cron expression, so its next runs cannot be computed', GrpcStatus.FAILED_PRECONDITION),
  UpstreamBrokeContract: coded<[string]>('VBGW_UPSTREAM_BROKE_CONTRACT', '%s', GrpcStatus.INTERNAL),
  UpstreamUnavailable: coded<[]>('VBGW_UPSTREAM_UNAVAILABLE', 'the backup service is unavailable, try again shortly', GrpcStatus.UNAVAILABLE),
  Overloaded: coded<[]>('VBGW_OVERLOADED', 'the gateway is overloaded, try again shortly', GrpcStatus.UNAVAILABLE),
  // edge protections
  RateLimited: coded<[string]>('VBGW_RATE_LIMITED', 'rate limit exceeded, retry in %s', GrpcStatus.RESOURCE_EXHAUSTED),
  CsrfRefused: coded<[]>('VBGW_CSRF_REFUSED', 'this request has been blocked as a potential cross-site request forgery (CSRF): send it with "Content-Type: application/json" or an Authorization header', GrpcStatus.INVALID_ARGUMENT),
  BatchTooLarge: coded<[number, number]>('VBGW_BATCH_TOO_LARGE', 'a batch may hold at most %d operations; this one holds %d', GrpcStatus.INVALID_ARGUMENT),
  TooManyUpstreamCalls: coded<[number]>('VBGW_TOO_MANY_UPSTREAM_CALLS', 'this request reached its limit of %d calls to the backup service (GRAPHQL_MAX_UPSTREAM_CALLS): ask for fewer services, aliases or operations in one request', GrpcStatus.RESOURCE_EXHAUSTED),
  TooManyNodes: coded<[number]>('VBGW_TOO_MANY_NODES', 'this request reached its limit of %d listed items in its answer (GRAPHQL_MAX_NODES): page with first and after, or nest fewer lists', GrpcStatus.RESOURCE_EXHAUSTED),
  EmptyBatch: coded<[]>('VBGW_EMPTY_BATCH', 'a batch (a JSON array) holds at least one operation; this one holds none', GrpcStatus.INVALID_ARGUMENT),
  RepeatedHeader: coded<[string]>('VBGW_REPEATED_HEADER', 'the %s header must not appear more than once', GrpcStatus.INVALID_ARGUMENT),
  InvalidUtf8: coded<[]>('VBGW_INVALID_UTF8', 'the request body is not valid UTF-8', GrpcStatus.INVALID_ARGUMENT),
  // cache (never reaches a caller: the list cache falls back to the upstream)
  CacheUnavailable: coded<[]>('VBGW_CACHE_UNAVAILABLE', 'the cache storage is unavailable', GrpcStatus.UNAVAILABLE),
  // configuration (boot only)
  InvalidConfig: coded<[string]>('VBGW_INVALID_CONFIG', 'invalid configuration: %s', GrpcStatus.INTERNAL)
} as const

/** What a caller is shown for an error, on either surface. */
export interface ErrorView {
  httpStatus: number
  grpcCode: GrpcStatus
  grpcStatus: string
  graphqlCode: string
  /** Safe to show: never a stack, an internal address or a raw gRPC string. */
  message: string
  details: unknown[]
  field?: string
  reason?: ErrorReason
  /** True when the failure is the gateway's or the upstream's, not the caller's: log it. */
  serverFault: boolean
}

const SAFE_SERVER_MESSAGE = 'internal error'

/**
 * Fastify's refusals in the gateway's words: one that does not say what to
 * send, and those of a URL the router cannot take, whose own words quote
 * the whole URL (a query string's credential went back in the body, and a
 * 3 KB path in full).
 */
const FRAMEWORK_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Media Type: send the body as JSON, with Content-Type: application/json',
  FST_ERR_BAD_URL: 'the URL is not valid: it holds a malformed percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'the URL is too long: a path value holds more characters than any id or name'
}

/** Describe any thrown value through the one table. */
export function describeError (err: unknown): ErrorView {
  const e = (err ?? {}) as Partial<GatewayError>
  let grpcCode: GrpcStatus = GrpcStatus.INTERNAL
  // Messages are shown only when the gateway worded them (VBGW_ codes, which
  // include upstream errors already made safe by the client) or when they
  // are Fastify's own 4xx client errors; anything else is a safe default.
  let trusted = false
  // HTTP-level refusals (413, 415, 431...) keep their precise status; the body's code still comes from the table.
  let httpStatus: number | undefined
  if (typeof e.grpcCode === 'number' && STATUS_TABLE[e.grpcCode] !== undefined) {
    grpcCode = e.grpcCode
    trusted = typeof e.code === 'string' && e.code.startsWith('VBGW_')
  } else if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    grpcCode = httpToGrpc(e.statusCode)
    trusted = true
    httpStatus = e.statusCode
  }
  const mapping = mapGrpcStatus(grpcCode)
  const message = trusted && typeof e.message === 'string' && e.message !== '' ? FRAMEWORK_MESSAGES[e.code ?? ''] ?? e.message : SAFE_SERVER_MESSAGE
  const view: ErrorView = {
    httpStatus: httpStatus ?? mapping.http,
    grpcCode,
    grpcStatus: grpcStatusName(grpcCode),
    graphqlCode: mapping.graphql,
    message,
    details: [],
    serverFault: mapping.http >= 500
  }
  if (typeof e.field === 'string') {
    view.field = e.field
    view.details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: [{ field: e.field, description: message }] })
  }
  const reason = (e as { reason?: unknown }).reason
  if (trusted && typeof reason === 'string') {
    view.reason = reason as ErrorReason
    view.details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: ERROR_DOMAIN })
  }
  // VBase's own details, as grpc-gateway passes them on; only ever of a caller-side failure.
  const upstream = (e as { statusDetails?: unknown }).statusDetails
  if (trusted && !view.serverFault && Array.isArray(upstream)) {
    view.details.push(...upstream as RpcDetail[])
    const field = view.field === undefined ? firstViolatedField(upstream as RpcDetail[]) : undefined
    if (field !== undefined) view.field = field
  }
  return view
}

const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest'

/** The field of the first violation of the first BadRequest that names one: a proto field name of the request. */
function firstViolatedField (details: readonly RpcDetail[]): string | undefined {
  for (const detail of details) {
    if (detail['@type'] !== BAD_REQUEST || !Array.isArray(detail.field_violations)) continue
    for (const violation of detail.field_violations as unknown[]) {
      const field = (violation as { field?: unknown } | null)?.field
      if (typeof field === 'string' && field !== '') return field
    }
  }
  return undefined
}

/** Client errors raised by Fastify itself (bad JSON, too large...) keep their meaning. */
function httpToGrpc (status: number): GrpcStatus {
  switch (status) {
    case 401: return GrpcStatus.UNAUTHENTICATED
    case 403: return GrpcStatus.PERMISSION_DENIED
    case 404: return GrpcStatus.NOT_FOUND
    case 409: return GrpcStatus.ABORTED
    case 429: return GrpcStatus.RESOURCE_EXHAUSTED
    default: return GrpcStatus.INVALID_ARGUMENT
  }
}
