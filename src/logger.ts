/**
 * The process logger: pino JSON, pretty only on a TTY, and secrets redacted
 * wherever a header bag or upstream metadata may be logged. Errors get one
 * more pass: their text comes from elsewhere (an upstream's details, a
 * library's message) and may quote a credential, which no path can target.
 */
import type { EventEmitter } from 'node:events'
import fs from 'node:fs'
import type { ServerResponse } from 'node:http'
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'
import pino, { type ChildLoggerOptions, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { Config } from './config.js'
import { unansweredStatus } from './http/limits.js'
import { LogThrottle } from './log-throttle.js'

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
 * or the value given to a credential's name: `token=<credential>`,
 * `authorization: <credential>`, `"api_key": "<credential>"`, `password=`,
 * `secret=`. Credentials are at least 8 characters, so prose such as
 * "invalid bearer token" or "token: send one" stays readable.
 */
const QUOTED_CREDENTIAL = /\b(bearer\s+|basic\s+|(?:(?:access_|refresh_|id_)?token|authorization|api[_-]?key|passw(?:or)?d|(?:client_)?secret)\s*["']?\s*[:=]\s*["']?)[\w\-.~+/]{8,}=*/gi

/** A JSON Web Token anywhere in the text: three base64url parts, the first a JSON object (`eyJ`). */
const JWT = /\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*/g

/** Replace quoted credentials in a string. */
export function scrubCredentials (text: string): string {
  return text.replace(QUOTED_CREDENTIAL, '$1[redacted]').replace(JWT, '[redacted]')
}

/**
 * Query parameters whose values are credentials by their name: `access_token`
 * (RFC 6750's query form), `api_key`, `password`, `sig`... The gateway takes
 * none, but a client may send one, and the URL is on every request line.
 * A GraphQL GET's `variables` and `extensions` too: they are JSON whose
 * keys are the client's own, any of which may hold a secret (the query
 * itself stays: it is the operation's text).
 */
const SECRET_PARAM = /token|secret|passw|pwd|auth|key|sig|credential|session|jwt|bearer|^variables$|^extensions$/i

/** A query string's component decoded as a form would send it; undefined for a malformed escape. */
function formDecode (component: string): string | undefined {
  try { return decodeURIComponent(component.replace(/\+/g, ' ')) } catch { return undefined }
}

/**
 * A URL as logged: the value of each query parameter named like a
 * credential is replaced, and a credential quoted in any other value
 * (`q=Bearer%20<token>`) is scrubbed as free text is.
 */
export function redactQuery (url: string): string {
  const start = url.indexOf('?')
  if (start === -1) return url
  const pairs = url.slice(start + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=')
    if (eq === -1) return pair
    const rawName = pair.slice(0, eq)
    // A malformed escape in the name: judged as written.
    if (SECRET_PARAM.test(formDecode(rawName) ?? rawName)) return `${rawName}=[redacted]`
    const value = formDecode(pair.slice(eq + 1))
    if (value === undefined) return pair
    const scrubbed = scrubCredentials(value)
    return scrubbed === value ? pair : `${rawName}=${encodeURIComponent(scrubbed)}`
  })
  return `${url.slice(0, start)}?${pairs.join('&')}`
}

interface LoggedRequest { method?: string, url?: string, host?: string, ip?: string, socket?: { remotePort?: number }, headers?: Record<string, unknown>, raw?: unknown }

/**
 * The `req` of a request line: Fastify's own fields (it would otherwise use
 * its serializer, which this one replaces), with the URL's credentials
 * redacted. Also given the access line's `{ method, url }`, which without a
 * query is logged as it is: that runs on every request.
 */
function reqSerializer (req: LoggedRequest): unknown {
  if (req.raw === undefined && typeof req.url === 'string' && !req.url.includes('?')) return req
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactQuery(req.url) : req.url,
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort
  }
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

/**
 * Where a request's child logger keeps its request id. Fastify's default
 * child (`logger.child({ reqId })`) runs its bindings through the redaction
 * of every top-level key (the `*.authorization` paths), which was 7% of what
 * a cached read allocated; the id is added to each line by `mixin` instead.
 */
export const REQUEST_ID = Symbol('request id')

/** Fastify's `childLoggerFactory`: a child that carries the request id beside its bindings (any others stay bindings). */
export function requestChildLogger (logger: Logger, bindings: Record<string, unknown>, opts: ChildLoggerOptions): Logger {
  const { reqId, ...others } = bindings
  const child = logger.child(others, opts) as Logger & { [REQUEST_ID]?: unknown }
  child[REQUEST_ID] = reqId
  return child
}

/** Build the logger; tests pass a destination to capture output. */
export function createLogger (config: Pick<Config, 'LOG_LEVEL'>, destination?: DestinationStream, pretty = process.stdout.isTTY): Logger {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // `req` replaces Fastify's serializer (which a logger's own ones override): the same
    // fields, never the headers (REDACT_PATHS covers a serializer that would), and the
    // URL's credentials redacted.
    serializers: { err: errSerializer, req: reqSerializer },
    // A request's lines carry its id (see REQUEST_ID).
    mixin: (_obj, _level, logger) => {
      const reqId = (logger as { [REQUEST_ID]?: unknown })[REQUEST_ID]
      // A new object each time: pino merges the line into it.
      return reqId === undefined ? {} : { reqId }
    }
  }
  if (destination !== undefined) return pino(options, destination)
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } })
  return pino(options, stdoutDestination())
}

/**
 * stdout is written asynchronously and in batches: a write(2) once this
 * much is buffered, or every LOG_FLUSH_MS, instead of one blocking write
 * per line (about 10% of a cached read's CPU). What is buffered is written
 * when the process exits, on an uncaught error too (a batch whose
 * asynchronous write is under way at that moment may land after the lines
 * flushed behind it). If stdout stops draining, the buffer stops at
 * LOG_BUFFER_MAX_BYTES and later lines are dropped rather than growing the
 * heap, and the exit gives up on what is buffered (see ExitFlush).
 */
export const LOG_BATCH_BYTES = 4096
export const LOG_FLUSH_MS = 100
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024
export const LOG_DROP_REPORT_MS = 10_000
/** At exit, the buffered lines are given up when stdout took nothing for this long... */
export const LOG_EXIT_STALL_MS = 500
/** ...or when writing them has taken this long in all. */
export const LOG_EXIT_FLUSH_MS = 2000

/**
 * The stdout destination. `process.stdout` is opened first: for a pipe or
 * a socket that makes file descriptor 1 non-blocking (libuv), so a write to
 * a reader that stopped fails with EAGAIN instead of hanging the thread that
 * makes it; left blocking, the exit's synchronous write would hang in the
 * kernel, where no timer can reach it.
 */
function stdoutDestination (): DestinationStream {
  const exit = new ExitFlush()
  const stream = pino.destination({
    dest: process.stdout.fd,
    sync: false,
    minLength: LOG_BATCH_BYTES,
    maxLength: LOG_BUFFER_MAX_BYTES,
    // Lines below a batch go out within LOG_FLUSH_MS (an unref'd timer, cleared on close).
    periodicFlush: LOG_FLUSH_MS,
    retryEAGAIN: exit.retry
  })
  const drops = reportDrops(stream)
  // Before pino's own exit handler (registered with the destination), which
  // would retry a full pipe forever: see ExitFlush.
  process.prependListener('exit', () => { drops.exit(exit.flush(stream)) })
  return stream
}

/**
 * The exit's write of what is buffered, bounded. pino flushes its
 * destination synchronously on 'exit' (no event loop is left), and
 * sonic-boom's flushSync retries EAGAIN every 100 ms for as long as
 * `retryEAGAIN` says so: by default forever, so a reader that stopped would
 * hold a stopping process until SIGKILL, past any grace timer. This is that
 * `retryEAGAIN`: while the process runs, always (the asynchronous write
 * waits and retries, the event loop stays free); once exiting, only while
 * stdout keeps taking bytes, within LOG_EXIT_FLUSH_MS. When it gives up, the
 * destination is destroyed, so pino's handler, which runs next, skips it.
 *
 * flushSync also sleeps and retries a write that failed otherwise, without
 * asking `retryEAGAIN` (sonic-boom 4): a stdout whose reader is gone
 * (EPIPE) held the exit forever, and SIGTERM with it, as no JavaScript runs
 * in that loop. pino stops writing on an EPIPE of an asynchronous write,
 * but when the exit's write is the first to meet it (a boot that fails
 * early), nothing had. So while the exit flushes, such a failure is handed
 * to flushSync as an EAGAIN that `retry` refuses.
 */
class ExitFlush {
  #startedAt: number | undefined
  #progressAt = 0
  #unwritten = Infinity
  /** A write at exit failed with an error that waiting does not cure. */
  #failed = false

  /** sonic-boom's `retryEAGAIN`: the bytes of the write that failed and of those queued behind it. */
  readonly retry = (_err: Error, writeBytes: number, queuedBytes: number): boolean => {
    if (this.#startedAt === undefined) return true
    const now = performance.now()
    if (this.#failed) {
      this.#unwritten = writeBytes + queuedBytes
      return false
    }
    if (writeBytes + queuedBytes < this.#unwritten) {
      this.#unwritten = writeBytes + queuedBytes
      this.#progressAt = now
    }
    return now - this.#progressAt < LOG_EXIT_STALL_MS && now - this.#startedAt < LOG_EXIT_FLUSH_MS
  }

  /** Write what is buffered, or give it up: the bytes given up (0 when all went out). */
  flush (stream: ReturnType<typeof pino.destination>): number {
    this.#startedAt = this.#progressAt = performance.now()
    const writeSync = fs.writeSync
    // sonic-boom writes through the `fs` module's own writeSync: see the class comment.
    fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      try {
        return writeSync(...args)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EAGAIN' || code === 'EBUSY') throw err
        this.#failed = true
        throw Object.assign(new Error(`stdout: ${code ?? 'write failed'}`, { cause: err }), { code: 'EAGAIN' })
      }
    }) as typeof fs.writeSync
    try {
      stream.flushSync()
      return 0
    } catch {
      // EAGAIN past the bounds above, or stdout is gone (EPIPE): the lines are lost either way.
      stream.destroy()
      return Number.isFinite(this.#unwritten) ? this.#unwritten : 0
    } finally {
      fs.writeSync = writeSync
    }
  }
}

const DROPPED = 'stdout is not draining: log lines dropped'
const LOST_AT_EXIT = 'stdout is not draining: the buffered log lines are lost at exit'

/** Options of DropReport; tests pass a clock, a timer and a sink. */
export interface DropReportOptions {
  intervalMs: number
  /** A monotonic clock, ms. */
  now: () => number
  /** Run `fn` in `ms`, without holding the process open. */
  schedule: (fn: () => void, ms: number) => void
  /** Where the report lines go: one JSON line each. */
  write: (line: string) => void
}

/**
 * Lines dropped because stdout stopped draining are counted and said on
 * stderr, one JSON line at most every `intervalMs` (stdout itself is what
 * is not taking lines): the first drop at once, those held back at the end
 * of the interval (a timer armed only while some are unsaid), the rest at
 * exit. Each line's `dropped` counts the drops since the previous one.
 */
export class DropReport {
  readonly #throttle: LogThrottle
  #total = 0
  #unsaid = 0
  #saidAt = -Infinity
  #armed = false

  constructor (private readonly opts: DropReportOptions) {
    this.#throttle = new LogThrottle(opts.intervalMs, opts.now)
  }

  /** A line was dropped. */
  drop (): void {
    this.#total++
    this.#unsaid++
    if (this.#throttle.pass() === undefined) this.#arm()
    else this.#say({}, DROPPED)
  }

  /** The process exits: the drops not said yet, then the buffered bytes given up (see ExitFlush). */
  exit (unwrittenBytes: number): void {
    if (this.#unsaid > 0) this.#say({}, DROPPED)
    if (unwrittenBytes > 0) this.#say({ unwrittenBytes }, LOST_AT_EXIT)
  }

  #arm (): void {
    if (this.#armed) return
    this.#armed = true
    this.opts.schedule(() => {
      this.#armed = false
      if (this.#unsaid === 0) return // a drop after the interval said them
      // A timer may fire a little early by the clock: then it waits out the rest.
      if (this.opts.now() - this.#saidAt >= this.opts.intervalMs && this.#throttle.pass() !== undefined) this.#say({}, DROPPED)
      else this.#arm()
    }, Math.max(0, this.#saidAt + this.opts.intervalMs - this.opts.now()))
  }

  #say (fields: Record<string, number>, msg: string): void {
    this.#saidAt = this.opts.now()
    const line = { level: 40, time: Date.now(), pid: process.pid, dropped: this.#unsaid, droppedTotal: this.#total, ...fields, msg }
    this.#unsaid = 0
    try {
      this.opts.write(`${JSON.stringify(line)}\n`)
    } catch { /* stderr is gone too: nowhere left to say it */ }
  }
}

/** Count and report a destination's dropped lines on stderr (see DropReport). */
export function reportDrops (stream: EventEmitter, opts: DropReportOptions = {
  intervalMs: LOG_DROP_REPORT_MS,
  now: () => performance.now(),
  schedule: (fn, ms) => { setTimeout(fn, ms).unref() },
  // A pipe is written without blocking (what it cannot take now is queued, and lost at exit), a file synchronously.
  write: (line) => { process.stderr.write(line) }
}): DropReport {
  const report = new DropReport(opts)
  stream.on('drop', () => { report.drop() })
  return report
}

const kWatched = Symbol('access log watch')
type WatchedResponse = ServerResponse & { [kWatched]?: { log: AccessLog, reply: FastifyReply } | undefined }

function closedEarly (this: WatchedResponse): void {
  const watched = this[kWatched]
  this[kWatched] = undefined
  if (watched === undefined || this.writableFinished) return
  watched.log.requestAborted(watched.reply.request, watched.reply)
}

/**
 * One access line per request at info ("request completed", with method,
 * URL, status and time), instead of Fastify's two: the "incoming request"
 * line moves to debug. Request logging was ~10% of a cached read's CPU.
 *
 * The access line is built here from four known values and no header bag,
 * so it goes through a child of the process logger without redaction, at
 * the request's own level (a route may log at warn): redaction's walk over
 * every line was half of what the line cost. An errored request's line
 * carries the error and stays on the redacting request logger.
 */
export class AccessLog extends LogController {
  readonly #access: Logger | undefined

  constructor (logger?: Logger) {
    super()
    this.#access = logger?.child({}, { redact: { paths: [] }, level: 'trace' })
  }

  override incomingRequest (request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return
    request.log.debug({ req: request }, 'incoming request')
  }

  /**
   * Told at onRequest: when the connection closes before the answer is
   * written (the client went away), Fastify calls no `requestCompleted`,
   * and the request gets its access line here, as "request aborted" with
   * the status the metrics count it under (unansweredStatus: 499 when the
   * client went away).
   */
  watch (reply: FastifyReply): void {
    const response = reply.raw as WatchedResponse
    response[kWatched] = { log: this, reply }
    // One shared listener, no closure per request.
    response.on('close', closedEarly)
  }

  requestAborted (request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    const line = {
      reqId: request.id,
      req: { method: request.method, url: request.url },
      res: { statusCode: unansweredStatus(reply.raw, request.raw.socket) },
      responseTime: reply.elapsedTime
    }
    if (this.#access === undefined) reply.log.info(line, 'request aborted')
    else if ((reply.log as unknown as Logger).isLevelEnabled('info')) this.#access.info(line, 'request aborted')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Its line is this one (an 'error' of the response may come before its 'close').
    (reply.raw as WatchedResponse)[kWatched] = undefined
    if (this.isLogDisabled(request)) return
    const req = { method: request.method, url: request.url }
    if (error) {
      reply.log.error({ req, res: reply, responseTime: reply.elapsedTime, err: error }, 'request errored')
    } else if (this.#access === undefined) {
      reply.log.info({ req, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    } else if ((reply.log as unknown as Logger).isLevelEnabled('info')) {
      this.#access.info({ reqId: request.id, req, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed')
    }
  }
}
