/**
 * What of an incoming request reaches the upstream: an explicit allowlist of
 * headers, never a copy of all of them. `authorization` is forwarded as is.
 */
import { Metadata } from '@grpc/grpc-js'

/** Incoming headers forwarded to the upstream as gRPC metadata. */
export const FORWARDED_HEADERS = ['authorization', 'x-request-id', 'traceparent'] as const

/** Per-call context: the caller's forwarded headers and an optional shorter deadline. */
export interface CallContext {
  /** Allowlisted headers, lower-case names. */
  headers: Partial<Record<(typeof FORWARDED_HEADERS)[number], string>>
  /** A deadline shorter than the default; longer values are capped to it. */
  timeoutMs?: number
  /** Aborts the upstream call, e.g. when the HTTP client goes away. */
  signal?: AbortSignal
  /** The caller sent `Cache-Control: no-cache`: read from the upstream and refresh the cached entry. */
  noCache?: boolean
}

type HeaderBag = Record<string, string | string[] | undefined>

/** Build a call context from incoming HTTP headers through the allowlist. */
export function contextFromHeaders (headers: HeaderBag, extra: Partial<Omit<CallContext, 'headers'>> = {}): CallContext {
  const picked: CallContext['headers'] = {}
  for (const name of FORWARDED_HEADERS) {
    const value = headers[name]
    const first = Array.isArray(value) ? value[0] : value
    if (typeof first === 'string' && first !== '') picked[name] = first
  }
  const ctx: CallContext = { headers: picked, ...extra }
  const cacheControl = headers['cache-control']
  if (typeof cacheControl === 'string' && /(^|,)\s*no-cache\s*(,|$)/i.test(cacheControl)) ctx.noCache = true
  return ctx
}

/** gRPC metadata for a call context. */
export function toMetadata (ctx: CallContext): Metadata {
  const md = new Metadata()
  for (const name of FORWARDED_HEADERS) {
    const value = ctx.headers[name]
    if (value !== undefined) md.set(name, value)
  }
  return md
}
