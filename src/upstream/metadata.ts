/**
 * What of an incoming request reaches the upstream: an explicit allowlist of
 * headers, never a copy of all of them. `authorization` is forwarded as is.
 *
 * gRPC metadata values (non-binary keys) are visible ASCII and spaces only,
 * while Node's HTTP parser accepts bytes 0x80-0xFF in a header value. Such
 * bytes must never reach grpc-js, which throws on them when a call starts
 * (quoting the value: a credential would end up in an error log). A tracing
 * header holding them is dropped here (it is a hint). An Authorization
 * header holding them is kept, so the principal stays distinct, and refused
 * with 401 before any upstream call: at the HTTP edge (src/http/limits.ts)
 * and, for callers built another way, by the client (`metadataOf`).
 * A `traceparent` goes only when it is one by W3C Trace Context
 * (`isTraceparent`): any other value, junk or oversized, is dropped and the
 * call goes on, as the spec tells a receiver to do (the trace restarts).
 * `tracestate` is not on the allowlist: it never travels without its parent.
 * Building a context never throws: mercurius builds it in its error handler.
 */
import { Metadata } from '@grpc/grpc-js'
import { errors } from '../errors.js'

/** Incoming headers forwarded to the upstream as gRPC metadata. */
export const FORWARDED_HEADERS = ['authorization', 'x-request-id', 'traceparent'] as const

/**
 * What the upstream path watches to learn that its caller went away: the
 * part of AbortSignal it uses, so an AbortSignal is one. Served requests
 * use a Disconnect (src/rest/routes.ts says why not an AbortSignal).
 */
export interface CancelSignal {
  readonly aborted: boolean
  addEventListener (type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener (type: 'abort', listener: () => void): void
}

/** Per-call context: the caller's forwarded headers and an optional shorter deadline. */
export interface CallContext {
  /** Allowlisted headers, lower-case names. */
  headers: Partial<Record<(typeof FORWARDED_HEADERS)[number], string>>
  /** A deadline shorter than the default; longer values are capped to it. */
  timeoutMs?: number
  /**
   * When the call entered the upstream path (epoch ms), before any queue:
   * the deadline counts from here, so waiting for a slot uses up the call's
   * time instead of adding to it. Set by the concurrency limit.
   */
  startedAt?: number
  /** Aborts the upstream call, e.g. when the HTTP client goes away. */
  signal?: CancelSignal
  /** The caller asked for a fresh answer (see `wantsFresh`): read from the upstream and refresh the cached entry. */
  noCache?: boolean
}

type HeaderBag = Record<string, string | string[] | undefined>

/** True for an `Authorization` value of the form `Bearer <token>`, the one scheme VBase takes; the token is the upstream's to judge. */
export function isBearer (authorization: string | undefined): boolean {
  return /^bearer\s+\S+\s*$/i.test(authorization ?? '')
}

/** True when gRPC metadata can carry `value` as text: visible ASCII and spaces. */
export function isMetadataValue (value: string): boolean {
  return /^[ -~]*$/.test(value)
}

/** Longest `traceparent` forwarded: version 00 is 55 characters, a later version may append fields up to this. */
export const MAX_TRACEPARENT_LENGTH = 512

// version-trace_id-parent_id-flags in lower-case hex, then what a later version appends after a dash.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-[ -~]*)?$/
const ALL_ZEROS = /^0+$/

/**
 * True for a W3C Trace Context `traceparent`: version 00 exactly as the spec
 * lays it out; a later version (not ff, the invalid one) when its first 55
 * characters do and anything after them follows a dash, the spec's rule for
 * reading a version it does not know. Never an all-zero trace-id or parent-id.
 */
export function isTraceparent (value: string): boolean {
  if (value.length > MAX_TRACEPARENT_LENGTH) return false
  const [, version, traceId = '', parentId = '', rest] = TRACEPARENT.exec(value) ?? []
  if (version === undefined || version === 'ff' || (version === '00' && rest !== undefined)) return false
  return !ALL_ZEROS.test(traceId) && !ALL_ZEROS.test(parentId)
}

/**
 * Build a call context from incoming HTTP headers through the allowlist.
 * An `x-request-id` gRPC metadata cannot carry is dropped, and so is a
 * `traceparent` that is not one (`isTraceparent`).
 */
export function contextFromHeaders (headers: HeaderBag, extra: Partial<Omit<CallContext, 'headers'>> = {}): CallContext {
  const picked: CallContext['headers'] = {}
  for (const name of FORWARDED_HEADERS) {
    const value = headers[name]
    const first = Array.isArray(value) ? value[0] : value
    if (typeof first !== 'string' || first === '') continue
    if (name === 'traceparent' ? isTraceparent(first) : name === 'authorization' || isMetadataValue(first)) picked[name] = first
  }
  const ctx: CallContext = { headers: picked, ...extra }
  if (wantsFresh(headers['cache-control'], headers.pragma)) ctx.noCache = true
  return ctx
}

/** A `no-cache` or `max-age=0` directive (RFC 9111 §5.2.1), in any case, quoted or not. */
const FRESH_DIRECTIVE = /(?:^|,)\s*(?:no-cache|max-age\s*=\s*"?0+"?)\s*(?:,|$)/i
/** A `no-cache` directive alone: what Pragma can say. */
const NO_CACHE = /(?:^|,)\s*no-cache\s*(?:,|$)/i

/** A header's values as one comma-separated list, as RFC 9110 §5.3 allows. */
const joined = (value: string | string[]): string => Array.isArray(value) ? value.join(',') : value

/**
 * Whether a request's caching headers ask for an answer no older than now,
 * as a shared cache reads them (RFC 9111 §5.2.1, §5.4): `Cache-Control:
 * no-cache`, or `max-age=0`, which is what a browser's `fetch(url, { cache:
 * 'no-cache' })` sends; without Cache-Control, `Pragma: no-cache`. Other
 * directives (`no-store`, `max-age=60`) leave the cache to answer.
 */
export function wantsFresh (cacheControl: string | string[] | undefined, pragma: string | string[] | undefined): boolean {
  if (cacheControl !== undefined) return FRESH_DIRECTIVE.test(joined(cacheControl))
  return pragma !== undefined && NO_CACHE.test(joined(pragma))
}

/** gRPC metadata for a call context; throws VBGW_MALFORMED_CREDENTIAL for an Authorization value it cannot carry. */
export function toMetadata (ctx: CallContext): Metadata {
  const md = new Metadata()
  for (const name of FORWARDED_HEADERS) {
    const value = ctx.headers[name]
    if (value === undefined) continue
    if (name === 'authorization' && !isMetadataValue(value)) throw new errors.MalformedCredential()
    md.set(name, value)
  }
  return md
}
