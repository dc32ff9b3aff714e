/**
 * The schema's custom scalars, as mercurius scalar resolvers: plain
 * `serialize`/`parseValue`/`parseLiteral` functions assigned onto the
 * scalars declared in schema.graphql, whose descriptions stay there.
 */
import { Kind, type ValueNode } from 'graphql'
import { errors } from '../errors.js'
import { BoundedMap } from '../bounded-map.js'
import { parseTimestamp } from '../upstream/validate.js'

/** A google.protobuf.Timestamp as the facade decodes it (int64 seconds as a string). */
export interface Timestamp {
  seconds: string | number
  nanos: number
}

/** Scalar functions as mercurius assigns them onto a GraphQLScalarType. */
export interface ScalarFunctions {
  serialize (value: unknown): unknown
  parseValue (value: unknown): unknown
  parseLiteral (ast: ValueNode): unknown
}

function isTimestamp (value: unknown): value is Timestamp {
  return typeof value === 'object' && value !== null && 'seconds' in value
}

/** Milliseconds since the epoch of a Timestamp; nanos below a millisecond are dropped. */
export function timestampMs (ts: Timestamp): number {
  return Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)
}

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in epoch ms: toISOString is RFC 3339 between them. */
const MIN_ISO_MS = -62167219200000
const MAX_ISO_MS = 253402300799999

/** Most formatted instants kept (about 100 bytes each). */
export const MAX_ISO_STRINGS = 4096
/**
 * Formatted instants, by epoch ms, oldest first out: a list's timestamps
 * come back on every read of it, and formatting one costs about 0.5 µs
 * against 0.02 µs to look it up (40 per 20-backup list).
 */
const isoStrings = new BoundedMap<number, string>(MAX_ISO_STRINGS)

/** RFC 3339 in UTC of epoch ms, e.g. 2026-05-11T09:30:00.000Z. */
export function toIso (ms: number): string {
  // Outside years 0000-9999 toISOString is not RFC 3339; such a value is an upstream bug.
  // Compared as numbers: this runs for every timestamp of every list.
  if (!(ms >= MIN_ISO_MS && ms <= MAX_ISO_MS)) throw new TypeError('DateTime cannot represent this value')
  let iso = isoStrings.get(ms)
  if (iso === undefined) {
    iso = new Date(ms).toISOString()
    isoStrings.set(ms, iso)
  }
  return iso
}

/** How many formatted instants are kept now (for tests of the bound). */
export function isoStringsHeld (): number {
  return isoStrings.size
}

function parseDateTime (value: unknown): Date {
  const ts = typeof value === 'string' ? parseTimestamp(value) : undefined
  if (ts === undefined) {
    throw new errors.InvalidArgument('DateTime must be an RFC 3339 date-time string naming a real instant in years 0001-9999, e.g. 2026-05-11T09:30:00Z')
  }
  return new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1e6))
}

/** RFC 3339 in UTC from a Timestamp, a Date or epoch milliseconds. */
export const DateTime: ScalarFunctions = {
  serialize (value) {
    if (isTimestamp(value)) return toIso(timestampMs(value))
    if (value instanceof Date) return toIso(value.getTime())
    if (typeof value === 'number') return toIso(value)
    throw new TypeError('DateTime cannot represent this value')
  },
  parseValue: parseDateTime,
  parseLiteral (ast) {
    return parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined)
  }
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * A decimal of at most 18 digits, in canonical form (no sign on zero, no
 * leading zero, no space): within int64 whatever its digits, and already
 * what `BigInt(value).toString()` would give back. The upstream's int64
 * fields (sizes) arrive this way, 20 or more in every list: returned as
 * they are, not parsed to a BigInt and printed again (about 0.4 µs each).
 */
const CANONICAL_INT64 = /^(?:0|-?[1-9]\d{0,17})$/

function toInt64 (value: unknown): string | undefined {
  if (typeof value === 'string' && CANONICAL_INT64.test(value)) return value
  let n: bigint
  if (typeof value === 'bigint') n = value
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value)
  else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value.trim())) n = BigInt(value.trim())
  else return undefined
  return n >= INT64_MIN && n <= INT64_MAX ? n.toString() : undefined
}

function parseInt64 (value: unknown): string {
  const parsed = toInt64(value)
  if (parsed === undefined) throw new errors.InvalidArgument('Int64 must be a 64-bit integer, as a decimal string or a safe integer')
  return parsed
}

/** 64-bit integers as decimal strings, so no digit is lost in JSON. */
export const Int64: ScalarFunctions = {
  serialize (value) {
    const out = toInt64(value)
    if (out === undefined) throw new TypeError('Int64 cannot represent this value')
    return out
  },
  parseValue: parseInt64,
  parseLiteral (ast) {
    return parseInt64(ast.kind === Kind.STRING || ast.kind === Kind.INT ? ast.value : undefined)
  }
}
