/**
 * The OpenAPI 3.1 document of the REST surface, generated from the same
 * contract as the routes: one operation per HTTP rule, parameters from the
 * path variables and query-bindable fields, schemas from the messages with
 * the proto comments as descriptions, a bearer security scheme and the
 * google.rpc.Status error body. Nothing here is written per method but
 * what the gateway checks of each request field (REQUEST_CONSTRAINTS).
 */
import protobuf from 'protobufjs'
import { contract, describe, isRequired, PACKAGE } from '../upstream/contract.js'
import { MAX_COLLECTION_NAMES, MAX_ID_LENGTH, MAX_NAME_LENGTH } from '../upstream/validate.js'
import { queryFields } from './bind.js'
import { hasPresence, isWellKnownString, outputKey, type JsonNames } from './json-mapping.js'
import type { RestRoute } from './routes.js'

type Schema = Record<string, unknown>

/** Options of the generated document. */
export interface OpenApiOptions {
  /** Field names the responses use (REST_JSON_NAMES). */
  names: JsonNames
}

const STATUS_SCHEMA: Schema = {
  type: 'object',
  description: 'An error, shaped like google.rpc.Status. The HTTP status follows the gateway\'s gRPC-to-HTTP table.',
  required: ['code', 'message', 'details'],
  properties: {
    code: { type: 'integer', format: 'int32', description: 'The gRPC status code, e.g. 3 for INVALID_ARGUMENT, 16 for UNAUTHENTICATED.' },
    message: { type: 'string', description: 'What went wrong, safe to show.' },
    details: {
      type: 'array',
      description: 'Typed details: a google.rpc.BadRequest naming the field at fault, or a google.rpc.ErrorInfo giving a reason (WRITE_OUTCOME_UNKNOWN: a write that failed may have been applied).',
      items: { type: 'object', properties: { '@type': { type: 'string' } }, additionalProperties: true }
    }
  }
}

const SCALARS: Record<string, Schema> = {
  string: { type: 'string' },
  bool: { type: 'boolean' },
  bytes: { type: 'string', contentEncoding: 'base64' },
  double: { type: 'number', format: 'double' },
  float: { type: 'number', format: 'float' },
  int32: { type: 'integer', format: 'int32' },
  sint32: { type: 'integer', format: 'int32' },
  sfixed32: { type: 'integer', format: 'int32' },
  uint32: { type: 'integer', minimum: 0, maximum: 4294967295 },
  fixed32: { type: 'integer', minimum: 0, maximum: 4294967295 }
}
// 64-bit integers are JSON strings in the proto3 mapping.
for (const t of ['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']) SCALARS[t] = { type: 'string', format: t.includes('u') ? 'uint64' : 'int64', pattern: '^-?[0-9]+$' }

const UUID_SCHEMA: Schema = { format: 'uuid', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }
/** A name a create gives: MAX_NAME_LENGTH at most, non-blank. */
const CREATED_NAME: Schema = { minLength: 1, maxLength: MAX_NAME_LENGTH, pattern: '\\S' }
/** A name looked up or passed along: non-blank, within what a REST path holds. */
const NAME: Schema = { minLength: 1, maxLength: MAX_ID_LENGTH, pattern: '\\S' }
const COLLECTIONS: Schema = { minItems: 1, maxItems: MAX_COLLECTION_NAMES }

/**
 * What src/upstream/validate.ts checks of each request field, as JSON
 * Schema, by message and proto field name: a request the document allows is
 * one the gateway sends on (test/rest/openapi.test.ts holds the two
 * together). What the schema cannot say (a cron's fields, plain text) the
 * field's description and the error say.
 */
const REQUEST_CONSTRAINTS: Readonly<Record<string, Readonly<Record<string, Schema>>>> = {
  CreateBackupRequest: {
    service_id: NAME,
    organization_id: UUID_SCHEMA,
    db_name: CREATED_NAME,
    collection_names: { ...COLLECTIONS, items: CREATED_NAME },
    backup_name: CREATED_NAME
  },
  ListBackupsRequest: { service_id: NAME },
  ListBackupByOrgRequest: { organization_id: UUID_SCHEMA },
  RestoreBackupRequest: {
    service_id: NAME,
    organization_id: UUID_SCHEMA,
    backup_name: NAME,
    db_name: NAME,
    collection_names: { ...COLLECTIONS, items: NAME }
  },
  DeleteBackupRequest: { service_id: NAME, backup_name: NAME },
  CreateBackupPolicyRequest: {
    service_id: NAME,
    organization_id: UUID_SCHEMA,
    schedule_cron: { minLength: 9, maxLength: MAX_ID_LENGTH },
    retention_count: { minimum: 1 }
  },
  UpdateBackupPolicyRequest: {
    service_id: NAME,
    policy_id: UUID_SCHEMA,
    // Empty is "not given" on update.
    organization_id: { pattern: `^$|${UUID_SCHEMA.pattern as string}` },
    schedule_cron: { minLength: 9, maxLength: MAX_ID_LENGTH },
    retention_count: { minimum: 1 }
  },
  DeleteBackupPolicyRequest: { service_id: NAME, policy_id: UUID_SCHEMA },
  ListBackupPoliciesRequest: { service_id: NAME }
}

/** A request field's schema with what the gateway checks of it; every string at most MAX_ID_LENGTH. */
function constrained (type: protobuf.Type, field: protobuf.Field, schema: Schema): Schema {
  const extra = REQUEST_CONSTRAINTS[type.name]?.[field.name]
  const out = extra === undefined ? schema : { ...schema, ...extra, ...(extra.items === undefined ? {} : { items: { ...(schema.items as Schema), ...(extra.items as Schema) } }) }
  if (out.type === 'string' && out.maxLength === undefined) out.maxLength = MAX_ID_LENGTH
  return out
}

/** Collects component schemas for the messages and enums it meets. */
class Schemas {
  readonly components: Record<string, Schema> = { Status: STATUS_SCHEMA }
  private readonly names = new Map<string, string>()

  constructor (private readonly fieldNames: JsonNames) {}

  /** A `$ref` to a message or enum, adding its component on first use. */
  ref (type: protobuf.Type | protobuf.Enum): Schema {
    let name = this.names.get(type.fullName)
    if (name === undefined) {
      // Short names read best; a clash falls back to the full name.
      name = type.name in this.components ? type.fullName.replace(/^\./, '') : type.name
      this.names.set(type.fullName, name)
      this.components[name] = {} // placeholder first: messages may refer to themselves
      this.components[name] = type instanceof protobuf.Enum ? this.enumSchema(type) : this.messageSchema(type)
    }
    return { $ref: `#/components/schemas/${name}` }
  }

  private enumSchema (e: protobuf.Enum): Schema {
    const values = Object.keys(e.values)
    const lines = values.map((v) => `${v}: ${(e.comments[v] ?? '').replace(/\s+/g, ' ').trim()}`)
    return {
      // A value this release does not know (a newer VBase's) is its number, as proto3 JSON writes it.
      anyOf: [{ type: 'string', enum: values }, { type: 'integer', format: 'int32', description: 'A value added after this release of the API: its number.' }],
      description: [describe(e), ...lines].filter(Boolean).join('\n\n')
    }
  }

  private messageSchema (type: protobuf.Type): Schema {
    const properties: Record<string, Schema> = {}
    const request = REQUEST_CONSTRAINTS[type.name] !== undefined
    for (const f of type.fieldsArray) properties[outputKey(f, this.fieldNames)] = request ? constrained(type, f, this.field(f)) : this.field(f)
    return { type: 'object', description: describe(type), properties }
  }

  /**
   * Mark what every response holds as required, in an answer's message and
   * the messages in it: lists, maps and plain scalars are always written
   * (a zero value when unset); messages (times too) and optional fields are
   * omitted when unset (src/rest/json-mapping.ts, `toJson`).
   */
  requireOutput (type: protobuf.Type, seen = new Set<string>()): void {
    if (seen.has(type.fullName)) return
    seen.add(type.fullName)
    this.ref(type)
    this.require(type, type.fieldsArray.filter((f) => f.map || f.repeated || (!(f.resolvedType instanceof protobuf.Type) && !hasPresence(f))).map((f) => outputKey(f, this.fieldNames)))
    for (const f of type.fieldsArray) {
      if (f.resolvedType instanceof protobuf.Type && !isWellKnownString(f.resolvedType)) this.requireOutput(f.resolvedType, seen)
    }
  }

  /** Mark fields of a message's component as required (its `ref` made first). */
  require (type: protobuf.Type, keys: string[]): void {
    const name = this.names.get(type.fullName)
    const component = name === undefined ? undefined : this.components[name]
    if (component !== undefined) component.required = keys
  }

  /** The schema of one value of a field's type, without repetition. */
  single (field: protobuf.Field): Schema {
    const rt = field.resolvedType
    if (rt instanceof protobuf.Type && isWellKnownString(rt)) {
      return rt.name === 'Timestamp'
        ? { type: 'string', format: 'date-time' }
        : { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$' }
    }
    if (rt instanceof protobuf.Type || rt instanceof protobuf.Enum) return this.ref(rt)
    return { ...(SCALARS[field.type] ?? {}) }
  }

  /** A field's schema with its proto comment as description. */
  field (field: protobuf.Field): Schema {
    const one = this.single(field)
    const schema = field.map
      ? { type: 'object', additionalProperties: one }
      : field.repeated ? { type: 'array', items: one } : one
    const description = describe(field)
    return description === '' ? schema : { ...schema, description }
  }
}

function parameter (schemas: Schemas, type: protobuf.Type, field: protobuf.Field, where: 'path' | 'query', names: JsonNames): Schema {
  const schema = constrained(type, field, schemas.field(field))
  const { description, ...rest } = schema
  return {
    name: where === 'path' ? field.name : outputKey(field, names),
    in: where,
    required: where === 'path' || isRequired(field),
    ...(description === undefined ? {} : { description }),
    schema: rest,
    ...(field.repeated ? { style: 'form', explode: true } : {})
  }
}

/** The first sentence that says what the method does (not the "Extension:" note). */
function summaryOf (description: string): string {
  const sentences = description.split(/(?<=\.)\s+/)
  return sentences.find((s) => !/^Extension\b/.test(s)) ?? sentences[0] ?? ''
}

function operation (schemas: Schemas, route: RestRoute, names: JsonNames): Schema {
  const { method } = route
  const fields = method.requestType.fields
  const parameters = [
    ...method.http.pathParams.map((p) => parameter(schemas, method.requestType, fields[p] as protobuf.Field, 'path', names)),
    ...queryFields(method).map((f) => parameter(schemas, method.requestType, f, 'query', names))
  ]
  const op: Schema = {
    operationId: method.name,
    summary: summaryOf(method.description),
    description: method.description + (method.extension ? ' Over REST, UNIMPLEMENTED is HTTP 501.' : ''),
    tags: [contract.service.name],
    parameters,
    'x-grpc-method': method.grpcPath
  }
  if (method.http.body !== undefined) {
    const bodySchema = method.http.body === '*'
      ? schemas.ref(method.requestType)
      : schemas.field(fields[method.http.body] as protobuf.Field)
    if (method.http.body === '*') {
      // Each request message is one method's body: what the reference requires, less what the path carries.
      const required = method.requestType.fieldsArray.filter((f) => isRequired(f) && !method.http.pathParams.includes(f.name)).map((f) => outputKey(f, names))
      if (required.length > 0) schemas.require(method.requestType, required)
    }
    op.requestBody = {
      // A route that reads an empty body as `{}` takes none at all.
      required: !(method.http.body === '*' && method.requestType.fieldsArray.every((f) => method.http.pathParams.includes(f.name) || !isRequired(f))),
      description: 'Proto field names (snake_case, as the reference) and JSON names (lowerCamelCase) are both accepted; path values repeated here must match the path.',
      content: { 'application/json': { schema: bodySchema } }
    }
  }
  schemas.requireOutput(method.responseType)
  const ok: Schema = {
    description: describe(method.responseType),
    content: { 'application/json': { schema: schemas.ref(method.responseType) } }
  }
  const responses: Record<string, Schema> = { 200: ok }
  if (method.read) {
    ok.headers = {
      ETag: { description: 'Validator of this response; send it back in If-None-Match.', schema: { type: 'string' } },
      'Cache-Control': { description: '`private, max-age=N`: the response may be reused by this caller for N seconds.', schema: { type: 'string' } },
      Vary: { description: '`Authorization` (after `Origin` with CORS): a stored copy answers only a request with the same token.', schema: { type: 'string' } },
      'X-Cache': { description: 'hit or miss, when the gateway\'s list cache served the read.', schema: { type: 'string', enum: ['hit', 'miss'] } }
    }
    if (method.http.verb === 'GET') responses[304] = { description: 'Not modified: If-None-Match matched the current ETag.' }
  }
  // What every operation can answer, spelled out for tools that look for a 4xx; the rest under default.
  const status = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } } }
  responses[400] = { description: 'Invalid input, named in the details (google.rpc.BadRequest), or a failed precondition.', ...status }
  responses[401] = { description: 'No bearer token, or one VBase refuses: with WWW-Authenticate: Bearer.', ...status }
  responses.default = {
    description: 'An error: the HTTP status comes from the gRPC code (400 invalid input or a failed precondition, 401 missing or bad token, ' +
      '403 another organization\'s, 404 not found, 409 conflict, 429 rate limited, 500 internal, 501 unsupported by the upstream, 503 unavailable, ' +
      '504 deadline), or from HTTP itself (405 method, 413 body too large, 414 path value too long, 415 not JSON, 431 headers too large).',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } }
  }
  op.responses = responses
  return op
}

/** Build the document for the generated routes. */
export function buildOpenApi (routes: RestRoute[], opts: OpenApiOptions): Schema {
  const schemas = new Schemas(opts.names)
  const paths: Record<string, Record<string, Schema>> = {}
  for (const route of routes) {
    const item = paths[route.path.openapiPath] ?? (paths[route.path.openapiPath] = {})
    item[route.method.http.verb.toLowerCase()] = operation(schemas, route, opts.names)
  }
  const version = PACKAGE.split('.').pop() as string
  return {
    openapi: '3.1.0',
    info: {
      title: 'VBase Backup & Policy API',
      version,
      description: `${describe(contract.service)}\n\nServed by vbase-gateway from the gRPC service ${contract.service.fullName.replace(/^\./, '')}: ` +
        'routes follow each method\'s google.api.http rule and bodies use the proto3 JSON mapping ' +
        `(${opts.names === 'proto' ? 'proto field names, snake_case' : 'JSON names, lowerCamelCase'}; int64 as strings; enums by name; timestamps in RFC 3339). ` +
        'An incoming Grpc-Timeout header (e.g. 500m, 2S) may shorten the upstream deadline.'
    },
    tags: [{ name: contract.service.name, description: describe(contract.service) }],
    // The gateway serving this document: requests go to wherever it was fetched from.
    servers: [{ url: '/', description: 'this vbase-gateway' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'The caller\'s VBase token, passed through to the upstream as is.' }
      }
    }
  }
}
