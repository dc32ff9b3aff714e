/**
 * The proto3 JSON mapping, both ways, as one small walker over protobufjs
 * reflection: no per-message code, so a new field or message maps with no
 * change here. Input accepts proto names and JSON (lowerCamelCase) names;
 * output uses one of them. Int64 travels as a string, enums as names, and
 * google.protobuf.Timestamp / Duration as their JSON strings.
 */
import protobuf from 'protobufjs'
import { errors } from '../errors.js'
import { isTimestampInRange, parseTimestamp } from '../upstream/validate.js'

/** Which field names JSON output uses: proto (snake_case, as the reference) or json (lowerCamelCase). */
export type JsonNames = 'proto' | 'json'

const TIMESTAMP = '.google.protobuf.Timestamp'
const DURATION = '.google.protobuf.Duration'
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'])
const UNSIGNED_64 = new Set(['uint64', 'fixed64'])
const INT32_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1]
}

/** protoc's lowerCamelCase of a proto field name: `collection_names` is `collectionNames`. */
export function lowerCamel (protoName: string): string {
  return protoName.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()).replace(/_/g, '')
}

/** The field's JSON name: `json_name` when given, else protoc's lowerCamelCase of the proto name. */
export function jsonName (field: protobuf.Field): string {
  const explicit = (field.options as Record<string, unknown> | undefined)?.json_name
  if (typeof explicit === 'string') return explicit
  return lowerCamel(field.name)
}

/** The key a field has in JSON output. */
export function outputKey (field: protobuf.Field, names: JsonNames): string {
  return names === 'json' ? jsonName(field) : field.name
}

/** True when unset differs from the zero value: proto3 `optional` and oneof members. */
export function hasPresence (field: protobuf.Field): boolean {
  return field.partOf != null
}

type MessageKind = 'timestamp' | 'duration' | 'message'
const kinds = new WeakMap<protobuf.Type, MessageKind>()

/** Which JSON form a message type has, decided once per type: protobufjs rebuilds `fullName` on every read. */
function kindOf (type: protobuf.Type): MessageKind {
  let kind = kinds.get(type)
  if (kind === undefined) {
    const name = type.fullName
    kind = name === TIMESTAMP ? 'timestamp' : name === DURATION ? 'duration' : 'message'
    kinds.set(type, kind)
  }
  return kind
}

/** True for messages with a JSON form of their own (a string). */
export function isWellKnownString (type: protobuf.Type): boolean {
  return kindOf(type) !== 'message'
}

const lookups = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>()

/** Find a field by proto name or JSON name. */
export function lookupField (type: protobuf.Type, key: string): protobuf.Field | undefined {
  let map = lookups.get(type)
  if (map === undefined) {
    map = new Map()
    for (const f of type.fieldsArray) {
      map.set(f.name, f)
      map.set(jsonName(f), f)
    }
    lookups.set(type, map)
  }
  return map.get(key)
}

// ---------------------------------------------------------------- output

/** Render a decoded message (proto-loader objects: keepCase, longs and enums as strings) as proto3 JSON. */
export function toJson (type: protobuf.Type, value: Record<string, unknown>, names: JsonNames): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of type.fieldsArray) {
    const key = outputKey(field, names)
    const v = value[field.name]
    if (field.map) {
      const entries = Object.entries((v ?? {}) as Record<string, unknown>)
      out[key] = Object.fromEntries(entries.map(([k, x]) => [k, valueToJson(field, x, names)]))
    } else if (field.repeated) {
      out[key] = Array.isArray(v) ? v.map((x) => valueToJson(field, x, names)) : []
    } else if (v === undefined || v === null) {
      // Unset messages and unset optional fields are omitted; plain scalars
      // show their zero value so every response has the same shape.
      if (field.resolvedType instanceof protobuf.Type || hasPresence(field)) continue
      out[key] = valueToJson(field, zeroValue(field), names)
    } else {
      out[key] = valueToJson(field, v, names)
    }
  }
  return out
}

function zeroValue (field: protobuf.Field): unknown {
  if (field.resolvedType instanceof protobuf.Enum) return 0
  if (LONG_TYPES.has(field.type)) return '0'
  switch (field.type) {
    case 'string': return ''
    case 'bool': return false
    case 'bytes': return ''
    default: return 0
  }
}

function valueToJson (field: protobuf.Field, v: unknown, names: JsonNames): unknown {
  const rt = field.resolvedType
  if (rt instanceof protobuf.Enum) return typeof v === 'number' ? (rt.valuesById[v] ?? v) : v
  if (rt instanceof protobuf.Type) {
    const msg = v as Record<string, unknown>
    const kind = kindOf(rt)
    if (kind === 'timestamp') return timestampToJson(msg)
    if (kind === 'duration') return durationToJson(msg)
    return toJson(rt, msg, names)
  }
  if (LONG_TYPES.has(field.type)) return String(v)
  if (field.type === 'bytes') return typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('base64')
  if ((field.type === 'double' || field.type === 'float') && typeof v === 'number' && !Number.isFinite(v)) {
    return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'
  }
  return v
}

/** protojson prints 0, 3, 6 or 9 fractional digits. */
function fraction (nanos: number): string {
  if (nanos === 0) return ''
  const digits = String(nanos).padStart(9, '0')
  if (nanos % 1_000_000 === 0) return '.' + digits.slice(0, 3)
  if (nanos % 1_000 === 0) return '.' + digits.slice(0, 6)
  return '.' + digits
}

/** A Timestamp `{seconds, nanos}` as RFC 3339 in UTC, e.g. `2026-05-11T08:00:00.250Z`. */
export function timestampToJson (ts: Record<string, unknown>): string {
  const seconds = Number(ts.seconds ?? 0)
  const nanos = Number(ts.nanos ?? 0)
  // Outside years 0001-9999 toISOString is not RFC 3339 (`+010000-...`); protojson refuses such a value too.
  if (!isTimestampInRange(seconds) || !Number.isInteger(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
    throw new errors.UpstreamBrokeContract(`the backup service sent a timestamp outside years 0001-9999 (seconds ${String(ts.seconds)}, nanos ${String(ts.nanos)})`)
  }
  return new Date(seconds * 1000).toISOString().slice(0, 19) + fraction(nanos) + 'Z'
}

function durationToJson (d: Record<string, unknown>): string {
  const seconds = BigInt(String(d.seconds ?? 0))
  const nanos = Number(d.nanos ?? 0)
  const negative = seconds < 0n || nanos < 0
  const abs = (seconds < 0n ? -seconds : seconds).toString()
  return `${negative ? '-' : ''}${abs}${fraction(Math.abs(nanos))}s`
}

// ---------------------------------------------------------------- input

/** RFC 8259's number grammar: what protojson accepts inside a string for a 32-bit integer. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

function invalid (path: string, message: string): never {
  throw new errors.InvalidArgument(`${path} ${message}`, path)
}

/**
 * Parse a JSON object into a proto-named request object, checking each
 * field's type. Unknown fields, a field given under both names, and values
 * of the wrong type are INVALID_ARGUMENT naming the field (as a path).
 */
export function fromJson (type: protobuf.Type, json: unknown, prefix = ''): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    if (prefix === '') throw new errors.InvalidArgument(`the request body must be a JSON object (${type.name})`)
    invalid(prefix, `must be a JSON object (${type.name})`)
  }
  const out: Record<string, unknown> = {}
  // Fields given, null ones included: protojson refuses a field given twice before it skips a null.
  const given = new Set<string>()
  for (const [key, v] of Object.entries(json as Record<string, unknown>)) {
    const path = prefix === '' ? key : `${prefix}.${key}`
    const field = lookupField(type, key)
    if (field === undefined) throw new errors.InvalidArgument(`unknown field "${path}" in ${type.name}`, path)
    if (given.has(field.name)) invalid(path, `is given twice (as ${field.name} and ${jsonName(field)})`)
    given.add(field.name)
    // null means "not set" in proto3 JSON.
    if (v === null) continue
    // Named as the caller wrote it: `dbName` or `db_name`.
    out[field.name] = fieldFromJson(field, v, path)
  }
  return out
}

/** Parse one field's JSON value, repeated and map fields included. */
export function fieldFromJson (field: protobuf.Field, v: unknown, path: string): unknown {
  if (field.map) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(path, 'must be a JSON object')
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, singleFromJson(field, x, `${path}.${k}`)]))
  }
  if (field.repeated) {
    if (!Array.isArray(v)) invalid(path, 'must be a JSON array')
    return (v as unknown[]).map((x, i) => singleFromJson(field, x, `${path}[${i}]`))
  }
  return singleFromJson(field, v, path)
}

/** Parse one non-repeated value of a field's type. */
export function singleFromJson (field: protobuf.Field, v: unknown, path: string): unknown {
  const rt = field.resolvedType
  if (rt instanceof protobuf.Enum) {
    if (typeof v === 'string' && v in rt.values) return v
    if (typeof v === 'number' && Number.isInteger(v)) return rt.valuesById[v] ?? v
    return invalid(path, `must be one of ${Object.keys(rt.values).join(', ')}`)
  }
  if (rt instanceof protobuf.Type) {
    const kind = kindOf(rt)
    if (kind === 'timestamp') return timestampFromJson(v, path)
    if (kind === 'duration') return durationFromJson(v, path)
    return fromJson(rt, v, path)
  }
  const type = field.type
  if (type === 'string') return typeof v === 'string' ? v : invalid(path, 'must be a string')
  if (type === 'bool') return typeof v === 'boolean' ? v : invalid(path, 'must be true or false')
  if (type === 'bytes') {
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) invalid(path, 'must be a base64 string')
    return Buffer.from(v as string, 'base64')
  }
  if (type in INT32_RANGE) {
    const [min, max] = INT32_RANGE[type] as [number, number]
    // A string holds a JSON number, as protojson reads it: "7", "7.0" and "1e1" are integers, "007" is not.
    const n = typeof v === 'string' && JSON_NUMBER.test(v) ? Number(v) : v
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) invalid(path, `must be an integer from ${min} to ${max}`)
    return n
  }
  if (LONG_TYPES.has(type)) {
    const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v
    const [min, max] = UNSIGNED_64.has(type) ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n]
    if (typeof s !== 'string' || !/^-?\d+$/.test(s) || BigInt(s) < min || BigInt(s) > max) invalid(path, 'must be a 64-bit integer (a string or a safe integer)')
    return s
  }
  // double and float
  if (typeof v === 'number') return v
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v)
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return invalid(path, 'must be a number')
}

/** Parse an RFC 3339 string into a Timestamp `{seconds, nanos}`; impossible dates and years past 9999 are refused. */
export function timestampFromJson (v: unknown, path: string): { seconds: string, nanos: number } {
  const ts = typeof v === 'string' ? parseTimestamp(v) : undefined
  if (ts === undefined) return invalid(path, 'must be an RFC 3339 timestamp of a real date in years 0001-9999, e.g. 2026-05-11T08:00:00Z')
  return { seconds: String(ts.seconds), nanos: ts.nanos }
}

function durationFromJson (v: unknown, path: string): { seconds: string, nanos: number } {
  const m = typeof v === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(v) : null
  if (m === null) return invalid(path, 'must be a duration like "1.5s"')
  const sign = m[1] === undefined ? 1 : -1
  const nanos = Number((m[3] ?? '').padEnd(9, '0'))
  return { seconds: (BigInt(m[2] as string) * BigInt(sign)).toString(), nanos: nanos === 0 ? 0 : sign * nanos }
}
