/**
 * GraphQL over HTTP details mercurius leaves to the app: `null` accepted for
 * `extensions` (mercurius' body schema takes only an object), the
 * `application/graphql-response+json` media type answered when asked for,
 * and the bearer token required before execution, except for introspection
 * so GraphiQL can load the schema before a token is set. Also the request
 * shapes mercurius would answer with a 500 or a bare error object: a query
 * that is not a string, or not GraphQL text; a GET naming no operation of
 * its document; a batch entry without a query. And the operation run is the
 * one named, JIT or not. And no cache but the caller's may keep an answer.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  GraphQLError, Kind, Location, getOperationAST, parse, type DocumentNode, type ExecutionResult, type FragmentDefinitionNode,
  type ParseOptions, type SelectionSetNode
} from 'graphql'
import type { MercuriusContext } from 'mercurius'
import { errors } from '../errors.js'
import { appendVary, READ_VARY } from '../rest/cache-headers.js'
import { hasBearer } from './context.js'

/** The GraphQL-over-HTTP response media type. */
export const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json'

function dropNullExtensions (params: unknown): void {
  if (typeof params === 'object' && params !== null && 'extensions' in params && (params as { extensions: unknown }).extensions === null) {
    delete (params as { extensions?: unknown }).extensions
  }
}

/** Route preValidation: treat `"extensions": null` as absent, in a single request or a batch. */
export async function acceptNullExtensions (request: FastifyRequest): Promise<void> {
  const body = request.body
  if (Array.isArray(body)) body.forEach(dropNullExtensions)
  else dropNullExtensions(body)
}

/** What a JSON value is, in a message: `a number`, `an array`... */
function kindOf (value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  const type = typeof value
  return type === 'object' ? 'an object' : `a ${type}`
}

const isAbsent = (value: unknown): boolean => value === undefined || value === null
const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The request parameters of one operation, as JSON gave them (POST) or parsed from the URL (GET). */
function refuseWrongParams (params: unknown): void {
  if (typeof params !== 'object' || params === null) return
  const { query, operationName, variables, extensions } = params as Record<string, unknown>
  if (!isAbsent(query) && typeof query !== 'string') {
    throw new errors.InvalidArgument(`query must be a string holding a GraphQL document, not ${kindOf(query)}`, 'query')
  }
  if (!isAbsent(operationName) && typeof operationName !== 'string') {
    throw new errors.InvalidArgument(`operationName must be a string or null, not ${kindOf(operationName)}`, 'operationName')
  }
  if (!isAbsent(variables) && !isObject(variables)) {
    throw new errors.InvalidArgument(`variables must be a JSON object or null, not ${kindOf(variables)}`, 'variables')
  }
  if (!isAbsent(extensions) && !isObject(extensions)) {
    throw new errors.InvalidArgument(`extensions must be a JSON object or null, not ${kindOf(extensions)}`, 'extensions')
  }
}

/** A GET's `variables` or `extensions`: JSON text of an object, read as mercurius will read it. */
function refuseUnreadableJsonParam (params: Record<string, unknown>, name: 'variables' | 'extensions'): void {
  const text = params[name]
  if (text === undefined) return
  if (typeof text !== 'string') throw new errors.InvalidArgument(`${name} must be given once, as JSON text`, name)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new errors.InvalidArgument(`${name} must be JSON text of an object: ${(err as Error).message}`, name)
  }
  if (!isAbsent(value) && !isObject(value)) throw new errors.InvalidArgument(`${name} must be a JSON object or null, not ${kindOf(value)}`, name)
}

/**
 * Route preValidation: the parameters of each operation have their types:
 * `query` a string, `operationName` a string, `variables` and `extensions`
 * objects (each may be null), in a single request or a batch; on GET, the
 * latter two JSON text of objects. Checked before Fastify's schema
 * validation, which would coerce a number or a boolean into a string (`1` ->
 * `"1"`) that mercurius then reads as a JSON AST, a 500, and whose own
 * refusals read as the schema's internals ("body/variables must be
 * object,null, body must be array, body must match a schema in anyOf").
 * Wrong types are a 400 BAD_USER_INPUT for the whole request, naming the
 * parameter.
 */
export async function requireParamTypes (request: FastifyRequest): Promise<void> {
  if (request.method !== 'POST') {
    const params = request.query as Record<string, unknown>
    refuseWrongParams({ query: params.query, operationName: params.operationName })
    refuseUnreadableJsonParam(params, 'variables')
    refuseUnreadableJsonParam(params, 'extensions')
    return
  }
  const body = request.body
  if (Array.isArray(body)) body.forEach(refuseWrongParams)
  else refuseWrongParams(body)
}

/**
 * mercurius preValidation hook (documents not yet cached): a query sent over
 * HTTP is GraphQL text. mercurius reads a query that does not parse as a
 * JSON-encoded AST, and graphql-js trips over anything but a well-formed one
 * (`"1"`, `"null"`, `"{}"`: a 500), past the token limit too. Such a query
 * gets the syntax error its text has, like any unparsable query.
 */
export function textDocumentsOnly (parseOptions: ParseOptions): (schema: unknown, document: DocumentNode, ctx: MercuriusContext) => void {
  return function graphqlTextOnly (_schema, document, ctx) {
    // mercurius' routes set the source; a document the app passes to app.graphql() itself is its own.
    const source: unknown = ctx.__currentQuery
    // graphql-js' parser gives every node a Location; JSON cannot make one.
    if (typeof source !== 'string' || (document as { loc?: unknown } | null)?.loc instanceof Location) return
    parse(source, parseOptions)
    throw new GraphQLError('Syntax Error: the query is not a GraphQL document.')
  }
}

/**
 * Route preHandler: a GET (any method but POST) must name one operation of
 * its document, as POST must. mercurius checks a GET's operation type with
 * `getOperationAST(...).operation`, a TypeError (500) when no operation is
 * picked. Answered here with graphql-js' own words for POST (400). Costs a
 * second parse of GET queries only; a query that does not parse is left to
 * mercurius, which reports it.
 */
export function knownGetOperation (parseOptions: ParseOptions): (request: FastifyRequest) => Promise<void> {
  return async function requireKnownOperation (request) {
    if (request.method === 'POST' || request.validationError !== undefined) return
    const { query, operationName } = request.query as { query?: unknown, operationName?: unknown }
    if (typeof query !== 'string') return
    let document: DocumentNode
    try {
      document = parse(query, parseOptions)
    } catch {
      return
    }
    const name = typeof operationName === 'string' ? operationName : undefined
    if (getOperationAST(document, name) !== null) return
    if (name !== undefined) throw new GraphQLError(`Unknown operation named "${name}".`)
    const operations = document.definitions.filter((def) => def.kind === Kind.OPERATION_DEFINITION).length
    throw new GraphQLError(operations === 0 ? 'Must provide an operation.' : 'Must provide operation name if query contains multiple operations.')
  }
}

/** The parameters of the operation `ctx` runs: the body (POST) or the query string (GET), its batch entry in a batch. */
export function operationParams (ctx: MercuriusContext): Record<string, unknown> | undefined {
  const request = ctx.reply?.request
  if (request === undefined) return undefined
  const params = (request.method === 'POST' ? request.body : request.query) as unknown
  const entry = Array.isArray(params) ? params[ctx.operationId ?? 0] as unknown : params
  return typeof entry === 'object' && entry !== null ? entry as Record<string, unknown> : undefined
}

/**
 * mercurius preExecution hook: an `operationName` must name an operation of
 * the document, whether or not mercurius has compiled it. mercurius checks
 * the name only when variables are sent, and its JIT runs the operation it
 * compiled whatever name a request gives: a name no operation has was
 * refused (400) on a document's first runs and answered (200) once it was
 * compiled, or the other way round after a restart. graphql-js' words, as
 * on GET (`knownGetOperation`). `""` names no operation either.
 */
export function knownOperationName (_schema: unknown, document: DocumentNode, ctx: MercuriusContext): void {
  const name = operationParams(ctx)?.operationName
  if (typeof name !== 'string') return
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION && def.name?.value === name) return
  }
  throw new GraphQLError(`Unknown operation named "${name}".`)
}

/**
 * mercurius preExecution hook: a document of several operations is never run
 * compiled. mercurius' JIT compiles a document once, for the operationName
 * of one run, then runs that operation whatever operationName later requests
 * name: a GET naming query Q of a document whose mutation M had been
 * compiled ran M. mercurius neither compiles nor runs compiled a document a
 * preExecution hook returns (as if modified), so such a document is always
 * interpreted by graphql-js, which picks the operation asked for. One
 * operation documents, nearly all of them, keep the JIT.
 */
export function interpretSeveralOperations (_schema: unknown, document: DocumentNode): { document: DocumentNode } | undefined {
  let operations = 0
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION && ++operations > 1) return { document }
  }
  return undefined
}

/** The GraphQL error formatter, as mercurius calls it. */
export type ErrorFormatter = (execution: ExecutionResult & { errors: ReadonlyArray<GraphQLError> }, ctx: MercuriusContext) => { statusCode: number, response: ExecutionResult }

/**
 * Route preSerialization: mercurius answers a batch entry without a query
 * with the bare error object (`{"code":"MER_ERR_GQL_PERSISTED_QUERY_NOT_FOUND",
 * "name":"FastifyError",...}`) instead of a GraphQL response. It goes through
 * the error formatter like any other error (BAD_USER_INPUT, NO_QUERY).
 */
export function formatBareBatchErrors (format: ErrorFormatter): (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown> {
  return async function formatBatchEntries (request, reply, payload) {
    if (!Array.isArray(payload) || !payload.some((entry) => entry instanceof Error)) return payload
    // The formatter reads only the reply, the app, the batch size and the entry's place from its context.
    const ctx = { app: request.server, reply, operationsCount: payload.length } as unknown as MercuriusContext
    return payload.map((entry: unknown, operationId) => entry instanceof Error
      ? format({ errors: [new GraphQLError(entry.message, { originalError: entry })] }, { ...ctx, operationId }).response
      : entry)
  }
}

/** True when the Accept header lists the GraphQL response media type with a non-zero q. */
export function wantsGraphqlResponse (accept: string | undefined): boolean {
  if (accept === undefined) return false
  return accept.split(',').some((part) => {
    const [type, ...params] = part.trim().split(';').map((s) => s.trim())
    if (type?.toLowerCase() !== GRAPHQL_RESPONSE_TYPE) return false
    const q = params.find((p) => p.toLowerCase().startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  })
}

/** Route onSend: answer JSON as application/graphql-response+json when the caller accepts it (so the answer varies on Accept). */
export async function negotiateMediaType (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  // mercurius' only 405 is a mutation over GET: POST is the method that would take it.
  if (reply.statusCode === 405) reply.header('allow', 'POST')
  const type = String(reply.getHeader('content-type') ?? '')
  if (type.startsWith('application/json')) {
    reply.header('vary', appendVary(reply.getHeader('vary'), 'Accept'))
    if (wantsGraphqlResponse(request.headers.accept)) reply.header('content-type', `${GRAPHQL_RESPONSE_TYPE}; charset=utf-8`)
  }
  return payload
}

/** Cache-Control of every GraphQL answer: the caller's data, to be kept by no cache. */
export const GRAPHQL_CACHE_CONTROL = 'private, no-store'

/**
 * Route onSend: every answer of /graphql, GET or POST, errors included, is
 * `private` (a GET's URL names no caller: a shared cache keeping it would
 * hand one caller's data to the next) and `no-store`, not REST's
 * `max-age`: an answer gathers lists of different ages, fields that are no
 * list and partial errors, and has no ETag to revalidate, so a browser
 * reusing it would show stale data after a mutation. POST answers are not
 * stored by caches anyway; one rule for the endpoint costs a header.
 * `Vary: Authorization` appended to what is set (Origin, Accept), as REST
 * reads do, for a cache that would store it regardless.
 */
export async function privateAnswer (_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  reply.header('cache-control', GRAPHQL_CACHE_CONTROL).header('vary', appendVary(reply.getHeader('vary'), READ_VARY))
  return payload
}

/** True when every operation in the document selects only `__schema`, `__type` or `__typename` at its root. */
export function isIntrospectionOnly (document: DocumentNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def)
  }
  const seen = new Set<string>()
  const onlyMeta = (set: SelectionSetNode): boolean => set.selections.every((sel) => {
    if (sel.kind === Kind.FIELD) return sel.name.value.startsWith('__')
    if (sel.kind === Kind.INLINE_FRAGMENT) return onlyMeta(sel.selectionSet)
    const name = sel.name.value
    // A fragment cycle is a validation error anyway; do not loop on it.
    if (seen.has(name)) return true
    seen.add(name)
    const fragment = fragments.get(name)
    return fragment !== undefined && onlyMeta(fragment.selectionSet)
  })
  return document.definitions.every((def) => def.kind !== Kind.OPERATION_DEFINITION || onlyMeta(def.selectionSet))
}

/**
 * mercurius preExecution hook: without `Authorization: Bearer <token>` a
 * request can do nothing but introspect, so it fails whole with
 * UNAUTHENTICATED before any resolver runs (HTTP 401 with
 * `WWW-Authenticate: Bearer` for a single operation).
 */
export async function requireBearer (_schema: unknown, document: DocumentNode, ctx: MercuriusContext): Promise<void> {
  if (hasBearer(ctx.call) || isIntrospectionOnly(document)) return
  throw new errors.Unauthenticated()
}
