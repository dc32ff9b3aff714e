/**
 * The one GraphQL error formatter. Every error goes through the one status
 * table (`describeError`): `extensions.code` is the table's GraphQL code,
 * `extensions.grpcStatus` the gRPC code name, and the message is the safe
 * one. Errors before execution (parse, validation, variables, missing
 * token) are request errors: no `data`, a 4xx status. Errors during
 * execution are field errors: `data` stands, status 200. The one error of
 * the node budget (GRAPHQL_MAX_NODES) says how many lists after it were
 * answered empty.
 */
import { GraphQLError, type ExecutionResult } from 'graphql'
import type { MercuriusContext } from 'mercurius'
import { describeError, errors, UpstreamError, type ErrorView } from '../errors.js'
import type { FaultLog } from '../http/fault-log.js'
import { scrubCredentials } from '../logger.js'
import { operationParams } from './http.js'
import { inputName } from './names.js'

/** A formatted error as it goes on the wire. */
export interface WireError {
  message: string
  locations?: ReadonlyArray<{ line: number, column: number }>
  path?: ReadonlyArray<string | number>
  extensions: { code: string, grpcStatus: string, field?: string, reason?: string }
}

/** A request without a query, in the words of GraphQL-over-HTTP servers (graphql-http, express-graphql). */
export const NO_QUERY = 'Must provide query string.'

/** An operation sent as a persisted query's hash: the message and code of the APQ protocol. */
export const PERSISTED_QUERY_NOT_SUPPORTED = 'PersistedQueryNotSupported'

/** The GraphQL error codes of graphql-js' own request errors. */
const PARSE_FAILED = 'GRAPHQL_PARSE_FAILED'
const VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED'

type Log = { error (obj: object, msg: string): void, warn (obj: object, msg: string): void, info (obj: object, msg: string): void, debug (obj: object, msg: string): void }

/** mercurius wraps request errors in one error whose `errors` holds the real ones. */
function unwrap (err: GraphQLError): Array<{ error: Error, outer: GraphQLError }> {
  const inner = (err.originalError as { errors?: unknown } | undefined)?.errors
  if (Array.isArray(inner) && inner.length > 0) return inner.map((e) => ({ error: e as Error, outer: err }))
  return [{ error: err, outer: err }]
}

/** A graphql-js error that no resolver threw: parse, validation, variable coercion or a schema breach. */
function isGraphqlOwn (err: Error): boolean {
  return err instanceof GraphQLError && (err.originalError === undefined || err.originalError === null)
}

/**
 * graphql-js' variable coercion wraps its own error ("Int cannot represent
 * non-integer value") in one naming the variable and the field at fault
 * (`Variable "$input" got invalid value "seven" at "input.retentionCount"; ...`):
 * the wrapper's message is the one to show.
 */
function isCoercionWrapper (err: Error): boolean {
  return err instanceof GraphQLError && err.originalError instanceof GraphQLError && isGraphqlOwn(err.originalError)
}

/** graphql-js' wordings of a variable value it could not coerce; other `Variable "$x"` messages are validation rules'. */
const BAD_VARIABLE_VALUE = /^Variable "\$[^"]*" (?:got invalid value|of required type "[^"]*" was not provided|of non-null type "[^"]*" must not be null)/

function requestErrorView (err: Error, outer: GraphQLError, ctx?: MercuriusContext): ErrorView {
  if (isGraphqlOwn(err) || isCoercionWrapper(err)) {
    // graphql-js words these from the caller's own document: safe to show.
    const code = err.message.startsWith('Syntax Error') ? PARSE_FAILED : BAD_VARIABLE_VALUE.test(err.message) ? 'BAD_USER_INPUT' : VALIDATION_FAILED
    return { ...describeError({ statusCode: 400, message: err.message }), graphqlCode: code }
  }
  const original = err instanceof GraphQLError ? err.originalError as Error : err
  // mercurius' "Unknown query" speaks of persisted queries, which the gateway does not keep: an
  // operation sent as a hash only is told so in the words APQ clients (Apollo's persisted query
  // link, urql's persistedExchange) read to send the query text instead; one with neither has no query.
  if ((original as { code?: unknown }).code === 'MER_ERR_GQL_PERSISTED_QUERY_NOT_FOUND') {
    let extensions = ctx === undefined ? undefined : operationParams(ctx)?.extensions
    // On GET, JSON text (requireParamTypes has checked that it parses).
    if (typeof extensions === 'string') extensions = JSON.parse(extensions) as unknown
    if (typeof extensions === 'object' && extensions !== null && 'persistedQuery' in extensions) {
      return { ...describeError(new errors.InvalidArgument(PERSISTED_QUERY_NOT_SUPPORTED)), graphqlCode: 'PERSISTED_QUERY_NOT_SUPPORTED' }
    }
    return describeError(new errors.InvalidArgument(NO_QUERY, 'query'))
  }
  const hasOwnStatus = typeof (original as { statusCode?: unknown }).statusCode === 'number' || typeof (original as { grpcCode?: unknown }).grpcCode === 'number'
  // A plain error inside a mercurius wrapper (say, "use POST for mutations") takes the wrapper's status.
  const outerStatus = (outer.originalError as { statusCode?: unknown } | undefined)?.statusCode
  if (!hasOwnStatus && typeof outerStatus === 'number' && outerStatus >= 400 && outerStatus < 500) {
    return { ...describeError({ statusCode: outerStatus, message: original.message }), httpStatus: outerStatus }
  }
  return describeError(original)
}

function fieldErrorView (err: GraphQLError): ErrorView {
  // A GraphQL-own error during execution (non-null breach, bad enum value) is the gateway's fault.
  const original = isGraphqlOwn(err) ? err : err.originalError
  const view = describeError(original)
  // The field of VBase's BadRequest is a proto name of its request. Every write is a mutation
  // whose caller named it as a member of `input`, as the gateway's own checks of writes name it
  // (`input.collectionNames[0]`); a read's fields keep their proto names, as its checks do.
  if (view.field !== undefined && original instanceof UpstreamError && original.write === true) view.field = inputName(view.field)
  return view
}

function toWire (view: ErrorView, err?: Error): WireError {
  const out: WireError = { message: view.message, extensions: { code: view.graphqlCode, grpcStatus: view.grpcStatus } }
  if (err instanceof GraphQLError) {
    if (err.locations !== undefined) out.locations = err.locations
    if (err.path !== undefined) out.path = err.path
  }
  if (view.field !== undefined) out.extensions.field = view.field
  if (view.reason !== undefined) out.extensions.reason = view.reason
  return out
}

function log (ctx: MercuriusContext): Log {
  return (ctx.reply?.log ?? ctx.app.log) as Log
}

/**
 * The body of a request refused on the GraphQL endpoint outside mercurius
 * (a 405 for PUT): the GraphQL response shape, as mercurius' own refusals
 * (415, bad JSON, a mutation over GET) have, not the REST Status body.
 */
export function requestErrorBody (view: ErrorView): { errors: WireError[] } {
  return { errors: [toWire(view)] }
}

/** Distinct errors one response logs a line each for; the rest are counted on the last line. */
export const MAX_ERROR_LINES = 10

/**
 * The log lines of one response's errors: one per distinct error (level,
 * code and message), with how many fields it failed. An answer may hold
 * hundreds of field errors (fifty aliases in each of ten operations past
 * GRAPHQL_MAX_UPSTREAM_CALLS, or an upstream outage under each of them): a
 * line each would let one request write hundreds of lines.
 */
class ErrorLines {
  private readonly lines = new Map<string, { level: 'error' | 'info', obj: Record<string, unknown>, msg: string, count: number }>()
  private dropped = 0

  add (level: 'error' | 'info', obj: Record<string, unknown>, msg: string, key: string): void {
    const line = this.lines.get(key)
    if (line !== undefined) line.count++
    else if (this.lines.size < MAX_ERROR_LINES) this.lines.set(key, { level, obj, msg, count: 1 })
    else this.dropped++
  }

  /** Server faults go through the app's fault log, which throttles the upstream's (src/http/fault-log.ts). */
  write (logger: Log, faults?: FaultLog): void {
    for (const { level, obj, msg, count } of this.lines.values()) {
      const line = count === 1 ? obj : { ...obj, count }
      if (level === 'error' && faults !== undefined) {
        const { err, grpcCode, ...fields } = line
        faults.write(logger, err, grpcCode as string, msg, fields)
      } else {
        logger[level](line, msg)
      }
    }
    if (this.dropped > 0) logger.info({ count: this.dropped }, 'graphql errors not logged: more distinct errors than a response logs')
  }
}

/** Format an execution result's errors; mercurius' `errorFormatter` option. */
export function formatErrors (execution: ExecutionResult & { errors: ReadonlyArray<GraphQLError> }, ctx: MercuriusContext): { statusCode: number, response: ExecutionResult } {
  // An execution result always has `data` (maybe null); a request error never does.
  const executed = 'data' in execution && execution.data !== undefined
  const logger = log(ctx)
  let statusCode = 200
  const wire: WireError[] = []
  const lines = new ErrorLines()
  // Lists the node budget cut after its one error (createNodeBudget).
  const cut = (ctx.nodes?.refusedIn(ctx) ?? 0) - 1
  for (const top of execution.errors) {
    for (const { error, outer } of executed ? [{ error: top as Error, outer: top }] : unwrap(top)) {
      const view = executed ? fieldErrorView(error as GraphQLError) : requestErrorView(error, outer, ctx)
      if (view.serverFault) {
        // Grouped by what failed, not by the safe message the caller sees.
        const err = (error as GraphQLError).originalError ?? error
        lines.add('error', { err, grpcCode: view.grpcStatus }, 'graphql field failed', `error ${view.grpcStatus} ${err.message}`)
      } else {
        // Scrubbed like the `err` serializer scrubs the line above: an upstream's message may quote a credential.
        lines.add('info', { code: view.grpcStatus, message: scrubCredentials(view.message) }, 'graphql error', `info ${view.grpcStatus} ${view.message}`)
      }
      if (!executed && statusCode === 200) statusCode = view.httpStatus
      const out = toWire(view, error)
      if (cut > 0 && (error as GraphQLError).originalError instanceof errors.TooManyNodes) out.message += `; this list is null, and ${cut === 1 ? 'the list after it is' : `the ${cut} lists after it are`} empty`
      wire.push(out)
    }
  }
  lines.write(logger, (ctx.app as { faultLog?: FaultLog } | undefined)?.faultLog)
  // A batch's HTTP status is not per operation; only a single operation sets it.
  if (statusCode === 401 && ctx.operationsCount === undefined) ctx.reply?.header('www-authenticate', 'Bearer')
  const response: ExecutionResult = executed ? { data: execution.data, errors: wire as unknown as GraphQLError[] } : { errors: wire as unknown as GraphQLError[] }
  return { statusCode, response }
}
