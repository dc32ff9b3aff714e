/**
 * Cache keys. An entry is keyed by method, canonical request and principal;
 * the principal is a hash of the Authorization value (an HMAC keyed with
 * PRINCIPAL_HASH_SECRET when it is set), so a raw token is never held in a
 * key, in memory or in Redis.
 */
import crypto from 'node:crypto'
import type { MethodInfo } from '../upstream/contract.js'
import { BoundedMap } from '../bounded-map.js'

/** Hex sha256: crypto.hash makes no Hash object (Node >= 20.12); createHash before that. */
const sha256Hex: (text: string) => string = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text).digest('hex')

/** Base64 sha256 of bytes (an upstream answer as it came off the wire), the same way. */
export const bytesDigest: (bytes: Buffer) => string = typeof crypto.hash === 'function'
  ? (bytes) => crypto.hash('sha256', bytes, 'base64')
  : (bytes) => crypto.createHash('sha256').update(bytes).digest('base64')

/** Hex sha256 of a string, truncated: 128 bits are plenty for keys and ETags. */
export function shortHash (text: string, hexChars = 32): string {
  return sha256Hex(text).slice(0, hexChars)
}

/** Who is asking: the principal of an Authorization value (see principalHasher). */
export type PrincipalOf = (authorization: string | undefined) => string

/** The principal of callers without an Authorization value. */
const ANONYMOUS_PRINCIPAL = 'anonymous'

/** Hex characters kept of a principal hash: 128 bits, as for every other key part. */
const PRINCIPAL_HEX_CHARS = 32

/** `Bearer <token>` however it is spelled: the scheme in any case, with any spaces around the token. */
const BEARER = /^bearer\s+(\S+)\s*$/i

/**
 * The credential an Authorization value carries, spelled one way. The
 * scheme is case-insensitive (RFC 9110) and the token is the caller, so
 * `bearer <t>`, `BEARER <t>` and `Bearer  <t> ` are one principal: one rate
 * limit budget and one set of cache entries, not one per spelling (a
 * security QA pass got five budgets from one token). The token itself
 * keeps its case; any other value is taken as it is. The value forwarded
 * upstream is unchanged.
 */
export function canonicalCredential (authorization: string): string {
  const token = BEARER.exec(authorization)?.[1]
  return token === undefined ? authorization : `Bearer ${token}`
}

/** The unkeyed principal: sha256 of `authorization:<value>`, as every release before the secret computed it. */
function unkeyedPrincipal (authorization: string | undefined): string {
  return authorization === undefined || authorization === '' ? ANONYMOUS_PRINCIPAL : shortHash(`authorization:${canonicalCredential(authorization)}`, PRINCIPAL_HEX_CHARS)
}

/**
 * The principal function of one app. With a secret (PRINCIPAL_HASH_SECRET),
 * HMAC-SHA256 of the Authorization value under it: whoever reads the keys in
 * Redis cannot test guessed tokens against them without the secret. Without
 * one, the unkeyed hash, unchanged, so replicas and entries already in Redis
 * keep matching. Either way it is deterministic: replicas sharing Redis must
 * derive the same principal for the same caller. Callers without a value
 * share the `anonymous` principal: the upstream refuses them and errors are
 * never cached, so nothing is ever stored under it.
 */
export function principalHasher (secret?: string): PrincipalOf {
  if (secret === undefined) return unkeyedPrincipal
  // Imported once here, not per request: each call only makes the Hmac itself.
  const key = crypto.createSecretKey(Buffer.from(secret, 'utf8'))
  return (authorization) => authorization === undefined || authorization === ''
    ? ANONYMOUS_PRINCIPAL
    : crypto.createHmac('sha256', key).update(canonicalCredential(authorization)).digest('hex').slice(0, PRINCIPAL_HEX_CHARS)
}

/** JSON with object keys sorted at every level, so equal requests serialize equally. */
export function stableStringify (value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`
  const obj = value as Record<string, unknown>
  const parts = Object.keys(obj).sort()
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
  return `{${parts.join(',')}}`
}

/**
 * The request as the upstream will see it: proto field names, defaults
 * filled in and unknown fields dropped, so `{}` and `{ service_id: '' }`, or
 * the same list asked by REST and by GraphQL, make the same key.
 */
export function canonicalRequest (method: MethodInfo, request: object): string {
  const type = method.requestType
  const normalized = type.toObject(type.fromObject(request), { longs: String, enums: String, defaults: true })
  return stableStringify(normalized)
}

/** The storage key of one entry (without the storage's own prefix). */
export function entryKey (method: MethodInfo, request: object, principal: string): string {
  return `e:${method.name}:${principal}:${canonicalHash(method, request)}`
}

/**
 * Hashes of canonical requests, by method and the request's own JSON: the
 * same list asked again skips protobufjs' fromObject and toObject and a
 * hash. Only flat requests of strings, numbers and booleans are kept (all
 * the reads have: ids), whose JSON says everything canonicalRequest reads.
 * Shared by the process: requests hold ids, never credentials.
 */
export const MAX_CANONICAL_HASHES = 1024
const canonicalHashes = new BoundedMap<string, string>(MAX_CANONICAL_HASHES)
/** Longer requests are hashed every time, so the memo stays small in bytes too. */
export const MAX_MEMO_REQUEST_CHARS = 512

/** How many canonical hashes are kept now (for tests of the bound). */
export function canonicalHashesHeld (): number {
  return canonicalHashes.size
}

function canonicalHash (method: MethodInfo, request: object): string {
  const flat = Object.values(request).every((v) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))
  if (!flat) return shortHash(canonicalRequest(method, request))
  const raw = `${method.name} ${JSON.stringify(request)}`
  if (raw.length > MAX_MEMO_REQUEST_CHARS) return shortHash(canonicalRequest(method, request))
  let hash = canonicalHashes.get(raw)
  if (hash === undefined) {
    hash = shortHash(canonicalRequest(method, request))
    canonicalHashes.set(raw, hash)
  }
  return hash
}

/** A strong ETag for a stored body, computed once when the entry is stored. */
export function etagOf (body: string): string {
  return `"${shortHash(body)}"`
}
