/**
 * VBase's rich error details: the `grpc-status-details-bin` trailer, a
 * serialized google.rpc.Status whose `details` are google.protobuf.Any
 * messages of google/rpc/error_details.proto. Decoded into the plain objects
 * the gateway's own details already are (`@type` and proto field names,
 * proto3 JSON values), so a caller gets them as grpc-gateway passes them on.
 * DebugInfo (stack traces) and types this module does not know are left out,
 * every string is scrubbed of credentials, and what is kept is bounded. A
 * trailer that does not decode is ignored: details never fail a request.
 */
import path from 'node:path'
import type { Metadata } from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import type { RpcDetail } from '../errors.js'
import { scrubCredentials } from '../logger.js'
import { GOOGLE_PROTOS_DIR } from './contract.js'

/** The trailer a gRPC server sends a google.rpc.Status in. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin'

/** Most details kept of one failure. */
export const MAX_DETAILS = 16

/** Most characters of details (as JSON) kept of one failure; a detail that would go past it is left out. */
export const MAX_DETAILS_CHARS = 4096

/** The `@type` prefix callers see, whatever the upstream's was. */
const TYPE_PREFIX = 'type.googleapis.com/'

/** Stack traces and internals, never shown to a caller. */
const NEVER_SHOWN: ReadonlySet<string> = new Set(['google.rpc.DebugInfo'])

/**
 * google/rpc's Status and error details (proto field names), loaded once; the
 * simulator's faults encode the details they send with the same types.
 */
export const GOOGLE_RPC = new protobuf.Root()
// Imports (google/protobuf/any.proto, duration.proto) from the same package.
GOOGLE_RPC.resolvePath = (_origin, target) => path.join(GOOGLE_PROTOS_DIR, target)
GOOGLE_RPC.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true })
GOOGLE_RPC.resolveAll()
const root = GOOGLE_RPC

const Status = root.lookupType('google.rpc.Status')

/** error_details.proto's messages by full name, DebugInfo left out: the only types shown. */
const KNOWN: ReadonlyMap<string, protobuf.Type> = new Map((root.lookup('google.rpc') as protobuf.Namespace).nestedArray
  .filter((t): t is protobuf.Type => t instanceof protobuf.Type && t.filename?.endsWith('error_details.proto') === true)
  .map((t) => [t.fullName.slice(1), t] as const)
  .filter(([name]) => !NEVER_SHOWN.has(name)))

const DURATION = '.google.protobuf.Duration'

/** proto3 JSON of a google.protobuf.Duration: `30s`, `1.500s`, `-0.000001s`. */
export function durationJson (value: { seconds?: unknown, nanos?: unknown }): string {
  const seconds = BigInt(String(value.seconds ?? 0))
  const nanos = Number(value.nanos ?? 0)
  if (!Number.isInteger(nanos) || Math.abs(nanos) > 999_999_999) throw new RangeError('Duration nanos out of range')
  const negative = seconds < 0n || nanos < 0
  let text = (seconds < 0n ? -seconds : seconds).toString()
  if (nanos !== 0) {
    const fraction = String(Math.abs(nanos)).padStart(9, '0')
    text += '.' + (fraction.endsWith('000000') ? fraction.slice(0, 3) : fraction.endsWith('000') ? fraction.slice(0, 6) : fraction)
  }
  return `${negative ? '-' : ''}${text}s`
}

/**
 * A decoded message of `type` as plain values: proto names, int64 as
 * strings, enums by name, bytes in base64, Durations as proto3 JSON, and
 * every string (map keys too) scrubbed of credentials.
 */
function plain (type: protobuf.Type, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key]
    const nested = field?.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined
    const one = (item: unknown): unknown => {
      if (nested === undefined) return typeof item === 'string' ? scrubCredentials(item) : item
      return nested.fullName === DURATION ? durationJson(item as object) : plain(nested, item as Record<string, unknown>)
    }
    if (Array.isArray(v)) out[key] = v.map(one)
    else if (field instanceof protobuf.MapField) {
      out[key] = Object.fromEntries(Object.entries(v as object).map(([k, item]) => [scrubCredentials(k), one(item)]))
    } else out[key] = one(v)
  }
  return out
}

/** One Any as a detail to show, or undefined for a type not shown or a value that does not decode. */
function detailOf (any: { type_url?: unknown, value?: unknown }): RpcDetail | undefined {
  if (typeof any.type_url !== 'string' || !(any.value instanceof Uint8Array)) return undefined
  const name = any.type_url.slice(any.type_url.lastIndexOf('/') + 1)
  const type = KNOWN.get(name)
  if (type === undefined) return undefined
  try {
    const fields = type.toObject(type.decode(any.value), { longs: String, enums: String, bytes: String, json: true })
    return { '@type': TYPE_PREFIX + name, ...plain(type, fields) }
  } catch {
    return undefined
  }
}

/**
 * The details of a serialized google.rpc.Status, for a call that failed
 * with `code`: empty when the bytes do not decode, or when the Status
 * speaks of another code than the call's (then it is not this failure's).
 * At most MAX_DETAILS, MAX_DETAILS_CHARS of JSON in all.
 */
export function decodeStatusDetails (bytes: Uint8Array, code: number): RpcDetail[] {
  let status: { code?: unknown, details?: unknown }
  try {
    status = Status.toObject(Status.decode(bytes), { defaults: true }) as typeof status
  } catch {
    return []
  }
  if (status.code !== code || !Array.isArray(status.details)) return []
  const kept: RpcDetail[] = []
  let chars = 0
  for (const any of status.details as Array<{ type_url?: unknown, value?: unknown }>) {
    if (kept.length === MAX_DETAILS) break
    const detail = detailOf(any)
    if (detail === undefined) continue
    const size = JSON.stringify(detail).length
    if (chars + size > MAX_DETAILS_CHARS) continue
    chars += size
    kept.push(detail)
  }
  return kept
}

/** The details in a failed call's trailers (`metadata` of a grpc-js ServiceError); empty without any. */
export function statusDetailsOf (metadata: Metadata | undefined, code: number): RpcDetail[] {
  const bytes = typeof metadata?.get === 'function' ? metadata.get(STATUS_DETAILS_KEY)[0] : undefined
  return bytes instanceof Uint8Array ? decodeStatusDetails(bytes, code) : []
}
