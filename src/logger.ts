/**
 * The process logger: pino JSON, pretty only on a TTY, and secrets redacted
 * wherever a header bag or upstream metadata may be logged. Errors get one
 * more pass: their text comes from elsewhere (an upstream's details, a
 * library's message) and may quote a credential, which no path can target.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { Config } from './config.js'

/** Header names (lower case, as Node gives them) whose values are credentials. */
const SECRET_KEYS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie']

/** Where header bags sit in what the gateway and Fastify log: request, reply, errors, call contexts. */
const HEADER_BAGS = ['req.headers', 'res.headers', 'err.headers', 'err.metadata', 'ctx.headers', 'call.headers', 'ctx.call.headers']

const member = (key: string): string => /^\w+$/.test(key) ? `.${key}` : `["${key}"]`

/**
 * Paths whose values never reach a log line: the secret keys at the top and
 * one level down (`headers.authorization`, `metadata.cookie`...), and in the
 * known deeper bags. Wildcards are kept shallow: each one costs on every line.
 */
export const REDACT_PATHS = [
  ...[...SECRET_KEYS, 'token'].flatMap((key) => [member(key).replace(/^\./, ''), `*${member(key)}`]),
  ...HEADER_BAGS.flatMap((bag) => SECRET_KEYS.map((key) => `${bag}${member(key)}`))
]

/**
 * A credential quoted in free text: `Bearer <credential>`, `Basic <credential>`,
 * `token=<credential>`. Credentials are at least 8 characters, so prose such
 * as "invalid bearer token" stays readable.
 */
const QUOTED_CREDENTIAL = /\b(bearer\s+|basic\s+|(?:access_|refresh_|id_)?token\s*[:=]\s*["']?)[\w\-.~+/]{8,}=*/gi

/** Replace quoted credentials in a string. */
export function scrubCredentials (text: string): string {
  return text.replace(QUOTED_CREDENTIAL, '$1[redacted]')
}

/** Scrub every string in a serialized error, nested ones (a cause) included. */
function scrubStrings (value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubCredentials(value)
  if (depth > 4 || typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((v) => scrubStrings(v, depth + 1))
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubStrings(v, depth + 1)]))
}

/** pino's error serializer, scrubbed: message, stack, an upstream's details... */
function errSerializer (err: Error): unknown {
  return scrubStrings(pino.stdSerializers.err(err))
}

/** Build the logger; tests pass a destination to capture output. */
export function createLogger (config: Pick<Config, 'LOG_LEVEL'>, destination?: DestinationStream, pretty = process.stdout.isTTY): Logger {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Fastify's own req serializer (method, url, host, remote address) applies to request
    // lines and never includes headers; REDACT_PATHS covers a serializer that would.
    serializers: { err: errSerializer }
  }
  if (destination !== undefined) return pino(options, destination)
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } })
  return pino(options, pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_MAX_BYTES }))
}

/**
 * stdout is written asynchronously: lines logged while a write is in
 * flight go out together in the next one, instead of one blocking write(2)
 * per line (about 10% of a cached read's CPU). pino flushes what is
 * buffered when the process exits. If stdout stops draining, the buffer
 * stops at this size and later lines are dropped rather than growing the
 * heap.
 */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024

/**
 * One access line per request at info ("request completed", with method,
 * URL, status and time), instead of Fastify's two: the "incoming request"
 * line moves to debug. Request logging was ~10% of a cached read's CPU.
 */
export class AccessLog extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    const line = { req: { method: request.method, url: request.url }, res: reply, responseTime: reply.elapsedTime }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}
