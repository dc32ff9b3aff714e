/**
 * The one HTTP error handler: every error becomes a `google.rpc.Status`-shaped
 * body `{ code, message, details }` with the status from the one table.
 * Unknown routes (404) and wrong methods (405) use the same shape. Its
 * details follow the REST field names, as the answers do (REST_JSON_NAMES).
 */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { status as GrpcStatus } from '@grpc/grpc-js'
import type { Config } from '../config.js'
import { describeError, type ErrorView } from '../errors.js'
import { scrubCredentials } from '../logger.js'
import { lowerCamel, type JsonNames } from '../rest/json-mapping.js'
import { FaultLog } from './fault-log.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Server faults' error lines, the upstream's throttled (src/http/fault-log.ts). */
    faultLog: FaultLog
  }
}

/** The REST error body, like google.rpc.Status (code is the numeric gRPC code). */
export interface StatusBody {
  code: number
  message: string
  details: unknown[]
}

/**
 * The map fields of google/rpc/error_details.proto (ErrorInfo.metadata,
 * QuotaFailure.Violation.quota_dimensions): their keys are data, which
 * proto3 JSON does not rename.
 */
const MAP_FIELDS: ReadonlySet<string> = new Set(['metadata', 'quota_dimensions'])

/**
 * A detail (a google.rpc message, such as BadRequest, with its proto field
 * names) under proto3 JSON's names: `field_violations` is `fieldViolations`.
 * `@type`, the keys of map fields and the values stay as they are.
 */
function jsonNamedDetail (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonNamedDetail)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, v]) =>
    key.startsWith('@') ? [key, v] : [lowerCamel(key), MAP_FIELDS.has(key) ? v : jsonNamedDetail(v)]))
}

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo'

/** Longest wait a RetryInfo may ask of a caller through Retry-After: a day. */
export const MAX_RETRY_AFTER_S = 86_400

/**
 * Retry-After of a RetryInfo's `retry_delay` (proto3 JSON, `1.500s`): whole
 * seconds rounded up, at least 1, at most MAX_RETRY_AFTER_S; undefined
 * without one.
 */
export function retryAfterOf (details: readonly unknown[]): number | undefined {
  for (const detail of details) {
    const { '@type': type, retry_delay: delay } = (detail ?? {}) as { '@type'?: unknown, retry_delay?: unknown }
    if (type !== RETRY_INFO || typeof delay !== 'string') continue
    const parts = /^(-?)(\d{1,20})(?:\.(\d{1,9}))?s$/.exec(delay)
    if (parts === null) continue
    const [, sign = '', whole = '0', fraction = ''] = parts
    const seconds = sign === '-' ? 0 : Number(whole) + (/[1-9]/.test(fraction) ? 1 : 0)
    return Math.min(Math.max(seconds, 1), MAX_RETRY_AFTER_S)
  }
  return undefined
}

/**
 * Send an error view as a Status body, its details under `names` (default
 * proto, as the reference). A RetryInfo in its details (VBase's) says when
 * to try again, unless a Retry-After is set already.
 */
export function sendStatus (reply: FastifyReply, view: ErrorView, names: JsonNames = 'proto'): FastifyReply {
  if (view.grpcCode === GrpcStatus.UNAUTHENTICATED) reply.header('www-authenticate', 'Bearer')
  const retryAfter = reply.hasHeader('retry-after') ? undefined : retryAfterOf(view.details)
  if (retryAfter !== undefined) reply.header('retry-after', retryAfter)
  const details = names === 'json' ? view.details.map(jsonNamedDetail) : view.details
  const body: StatusBody = { code: view.grpcCode, message: view.message, details }
  return reply.code(view.httpStatus).type('application/json; charset=utf-8').send(body)
}

/**
 * Seconds a caller answered 503 is told to wait before trying again
 * (Retry-After): the upstream queue turns over within a second, load
 * shedding samples the pressure once a second, and the upstream channel
 * reconnects within 0.2 to 2 s.
 */
export const RETRY_AFTER_S = 1

/** The one 404 for an unknown route, also used by scoped not-found handlers (src/rest). */
export function sendNotFound (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendStatus(reply, {
    httpStatus: 404,
    grpcCode: GrpcStatus.NOT_FOUND,
    grpcStatus: 'NOT_FOUND',
    graphqlCode: 'NOT_FOUND',
    message: `no route for ${request.method} ${request.url.split('?')[0]}`,
    details: [],
    serverFault: false
  })
}

/** Options of the error handler. */
export interface ErrorHandlingOptions {
  config: Pick<Config, 'REST_JSON_NAMES'>
}

export default fp<ErrorHandlingOptions>(async function errorHandling (fastify, { config }) {
  const names = config.REST_JSON_NAMES
  const faults = new FaultLog()
  fastify.decorate('faultLog', faults)
  fastify.setErrorHandler(function (err, request, reply) {
    const view = describeError(err)
    // A deadline the caller set itself (Grpc-Timeout) that ran out is the caller's choice, not a fault.
    const ownDeadline = view.grpcCode === GrpcStatus.DEADLINE_EXCEEDED && request.headers['grpc-timeout'] !== undefined
    if (view.serverFault && !ownDeadline) faults.write(request.log, err, view.grpcStatus, 'request failed')
    // The message may be an upstream's words, which can quote a credential; the `err` serializer scrubs only the 5xx line.
    else request.log.info({ code: view.grpcStatus, message: scrubCredentials(view.message) }, 'request rejected')
    // Every 503 (overload, VBase unavailable) says when to try again; but not a write that may
    // have been applied, which is to be checked (listed) first, not sent again after a wait.
    if (view.httpStatus === 503 && view.reason !== 'WRITE_OUTCOME_UNKNOWN' && !reply.hasHeader('retry-after')) reply.header('retry-after', RETRY_AFTER_S)
    return sendStatus(reply, view, names)
  })

  fastify.setNotFoundHandler(sendNotFound)
}, { name: 'error-handling' })
