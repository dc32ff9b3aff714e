/**
 * HTTP caching headers on reads. The facade's meta (from the list cache's
 * entry, once it exists) wins; until then the ETag is a hash of the response
 * bytes and max-age is the configured cache TTL. `private`: every response
 * depends on the caller's bearer token, so no shared cache may keep it; and
 * `Vary: Authorization`, so the browser's own cache, which keys on the URL,
 * does not answer the next caller (another token, same browser) with it.
 */
import { createHash } from 'node:crypto'
import type { CallMeta } from '../upstream/vbase.js'

/** The headers a read response carries. */
export interface ReadHeaders {
  etag: string
  cacheControl: string
  /** `hit` or `miss`; absent when the read did not go through the cache. */
  xCache?: 'hit' | 'miss'
}

/** A strong entity tag for a body: a truncated SHA-256, quoted. */
export function etagOf (body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
}

/** Quote a validator the facade gives bare; keep one already quoted (or weak) as is. */
function quoted (etag: string): string {
  return /^(W\/)?".*"$/.test(etag) ? etag : `"${etag.replace(/"/g, '')}"`
}

/** Headers for a read, from the facade's meta, or from the body and the TTL when meta has none. */
export function readHeaders (meta: CallMeta, body: string | Buffer, ttlMs: number): ReadHeaders {
  const maxAge = Math.max(0, Math.floor((meta.maxAgeMs ?? ttlMs) / 1000))
  const headers: ReadHeaders = {
    etag: meta.etag !== undefined && meta.etag !== '' ? quoted(meta.etag) : etagOf(body),
    cacheControl: `private, max-age=${maxAge}`
  }
  if (meta.cache === 'hit') headers.xCache = 'hit'
  else if (meta.cache === 'miss' || meta.cache === 'bypass') headers.xCache = 'miss'
  return headers
}

/** What a read response varies on: the caller's credential. */
export const READ_VARY = 'Authorization'

/**
 * A `Vary` value with `field` added, as @fastify/cors adds `Origin`: appended
 * to what is set (another plugin's `Origin` stays), unchanged when `field`
 * is listed already (in any case) or the value is `*`.
 */
export function appendVary (current: string | number | string[] | undefined, field: string): string {
  const value = Array.isArray(current) ? current.join(', ') : current === undefined ? '' : String(current)
  if (value.trim() === '') return field
  const listed = value.split(',').map((name) => name.trim().toLowerCase())
  return listed.includes('*') || listed.includes(field.toLowerCase()) ? value : `${value}, ${field}`
}

/**
 * RFC 9110 If-None-Match: `*` or any listed tag equal to ours under the
 * weak comparison (W/ ignored) means the client's copy is current.
 */
export function ifNoneMatch (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '')
  const ours = opaque(etag)
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => opaque(tag) === ours)
}
