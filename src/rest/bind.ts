/**
 * Binds an HTTP request to a method's request message, by grpc-gateway's
 * rules: path variables bind to their fields; `body: "*"` binds the whole
 * JSON body, `body: "field"` binds it to that field; without `body: "*"`,
 * query parameters bind to the remaining fields, repeated fields as repeated
 * parameters. Like grpc-gateway, a `body: "*"` rule never reads the query
 * and an unknown query parameter is ignored (proxies and caches add their
 * own, e.g. `_=<timestamp>`); an unknown body field is still a 400. A field
 * bound twice with different values is a 400.
 */
import { isDeepStrictEqual } from 'node:util'
import protobuf from 'protobufjs'
import { errors } from '../errors.js'
import type { MethodInfo } from '../upstream/contract.js'
import { isUuid } from '../upstream/validate.js'
import { fieldFromJson, fromJson, isWellKnownString, lookupField, singleFromJson } from './json-mapping.js'

/** The parts of an HTTP request that bind to fields. */
export interface HttpInput {
  /** Path variables, already percent-decoded. */
  params: Record<string, string | undefined>
  query: Record<string, string | string[] | undefined>
  /** The parsed JSON body; undefined when there is none. */
  body: unknown
}

/** Check once at boot that every path variable and the body field name a top-level field. */
export function checkBindings (method: MethodInfo): void {
  const names = [...method.http.pathParams, ...(method.http.body !== undefined && method.http.body !== '*' ? [method.http.body] : [])]
  for (const name of names) {
    if (method.requestType.fields[name] === undefined) {
      throw new errors.InvalidConfig(`${method.name}: http rule binds "${name}", which is not a field of ${method.requestType.name}`)
    }
  }
}

/** Query and path values are strings; give them the JSON type their field expects. */
function fromString (field: protobuf.Field, s: string, path: string): unknown {
  if (field.type === 'bool') {
    if (/^(true|1)$/i.test(s)) return true
    if (/^(false|0)$/i.test(s)) return false
  }
  if (field.resolvedType instanceof protobuf.Enum && /^-?\d+$/.test(s)) return singleFromJson(field, Number(s), path)
  return singleFromJson(field, s, path)
}

/** A path value and another given for the same field agree: equal, or the same UUID in another case, as VBase compares UUIDs. */
function agree (a: unknown, b: unknown): boolean {
  if (isDeepStrictEqual(a, b)) return true
  return typeof a === 'string' && typeof b === 'string' && isUuid(a) && isUuid(b) && a.toLowerCase() === b.toLowerCase()
}

function conflict (field: string, where: string): never {
  throw new errors.InvalidArgument(`${field} differs between the path and the ${where}`, field)
}

/** Options of `bindRequest`. */
export interface BindOptions {
  /** Told each query parameter that names no field and so is ignored, e.g. to log it. */
  onUnknownQuery?: (key: string) => void
  /**
   * A field's name in errors about a path variable or the body
   * (REST_JSON_NAMES=json: `serviceId`); default the proto name. A query
   * parameter is named as the caller wrote it.
   */
  name?: (protoName: string) => string
}

/** Build the proto-named request object for a method from an HTTP request. */
export function bindRequest (method: MethodInfo, input: HttpInput, opts: BindOptions = {}): Record<string, unknown> {
  const type = method.requestType
  const rule = method.http
  const shown = opts.name ?? ((f: string) => f)
  let request: Record<string, unknown> = {}

  if (rule.body === '*') {
    request = fromJson(type, input.body ?? {})
  } else if (rule.body !== undefined && input.body !== undefined && input.body !== null) {
    const field = type.fields[rule.body] as protobuf.Field
    request[field.name] = fieldFromJson(field, input.body, field.name)
  }

  const pathBound = new Set<string>()
  for (const name of rule.pathParams) {
    const field = type.fields[name] as protobuf.Field
    const value = fromString(field, input.params[name] ?? '', shown(name))
    if (name in request && !agree(request[name], value)) conflict(shown(name), 'body')
    request[name] = value
    pathBound.add(name)
  }

  // The whole message comes from the body: the query has nothing left to bind.
  if (rule.body === '*') return request

  for (const [key, raw] of Object.entries(input.query)) {
    if (raw === undefined) continue
    const field = lookupField(type, key)
    if (field === undefined) {
      opts.onUnknownQuery?.(key)
      continue
    }
    if (field.name === rule.body) {
      throw new errors.InvalidArgument(`${key} must be sent in the body, not the query`, key)
    }
    if (field.map || (field.resolvedType instanceof protobuf.Type && !isWellKnownString(field.resolvedType))) {
      throw new errors.InvalidArgument(`${key} cannot be sent as a query parameter`, key)
    }
    const values = Array.isArray(raw) ? raw : [raw]
    if (!field.repeated && values.length > 1) throw new errors.InvalidArgument(`${key} is given more than once`, key)
    const value = field.repeated
      ? values.map((s, i) => fromString(field, s, `${key}[${i}]`))
      : fromString(field, values[0] as string, key)
    if (pathBound.has(field.name)) {
      if (!agree(request[field.name], value)) conflict(key, 'query')
      continue
    }
    if (field.name in request) throw new errors.InvalidArgument(`${shown(field.name)} is given twice (as ${key} and another name)`, shown(field.name))
    request[field.name] = value
  }
  return request
}

/** Fields a method's query string may carry: not path-bound, not in the body, scalar or well-known. */
export function queryFields (method: MethodInfo): protobuf.Field[] {
  if (method.http.body === '*') return []
  return method.requestType.fieldsArray.filter((f) =>
    !method.http.pathParams.includes(f.name) && f.name !== method.http.body && !f.map &&
    !(f.resolvedType instanceof protobuf.Type && !isWellKnownString(f.resolvedType)))
}
