/**
 * Input hygiene at the edge: whatever a client sends, it gets a 4xx with a
 * google.rpc.Status body, never a 500, and the process stays up.
 *
 * - Body size: BODY_LIMIT_BYTES, past it 413 (Fastify stops reading).
 * - Time to send a request: REQUEST_TIMEOUT_MS for the head and body
 *   together, past it 408 and the connection closes. Fastify turns Node's
 *   request timeout off, which lets a client trickling its body hold a
 *   connection forever. Time spent preparing the answer does not count.
 * - Time to take an answer: once it is being sent, a client that takes
 *   none of it for REQUEST_TIMEOUT_MS is disconnected (`sendTimeout`).
 * - Head size: MAX_HEADER_BYTES for Node's HTTP parser, past it 431; other
 *   requests the parser refuses (malformed lines, conflicting lengths) 400.
 *   These never reach Fastify's routing, so `clientErrorHandler` writes the
 *   answer on the socket itself. URLs the router cannot decode: 400 too.
 * - Content types: JSON only (and mercurius' application/graphql on
 *   /graphql); Fastify's text/plain parser is removed, so anything else is
 *   415 instead of a string body the routes would have to judge.
 * - Encoding: a JSON body must be valid UTF-8 (400). Node's default decoding
 *   would turn bad bytes into U+FFFD and let them travel on as data. So must
 *   an application/graphql body, whose parser is mercurius' own: checked
 *   by a preParsing hook on /graphql as the bytes stream in.
 * - Repeated headers: a second Authorization, Content-Type, Host... is 400.
 *   Node keeps the first of most such duplicates silently, while a proxy in
 *   front may have acted on the last: the two would disagree on who asks.
 * - Credential bytes: an Authorization value with bytes outside visible
 *   ASCII (Node accepts 0x80-0xFF) is 401 at once. gRPC metadata cannot
 *   carry it, so the upstream could never judge it; refused here, both
 *   surfaces answer in their own shape (the upstream client refuses it too,
 *   for callers that do not come through HTTP).
 */
import { randomUUID } from 'node:crypto'
import { STATUS_CODES, type ServerOptions, type ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { Transform, type Readable } from 'node:stream'
import fp from 'fastify-plugin'
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { status as GrpcStatus } from '@grpc/grpc-js'
import type { Config } from '../config.js'
import { describeError, errors } from '../errors.js'
import { isMetadataValue } from '../upstream/metadata.js'
import { sendStatus } from './errors.js'

/** Headers that must appear at most once in a request (lower case). */
export const SINGLE_HEADERS: ReadonlySet<string> = new Set(['authorization', 'content-type', 'content-length', 'host', 'origin'])

/** Fastify constructor options for the limits, spread into `Fastify({...})` in src/app.ts. */
export interface EdgeServerOptions {
  bodyLimit: number
  requestTimeout: number
  http: ServerOptions
  clientErrorHandler: (this: FastifyInstance, err: ConnectionError, socket: Socket) => void
  frameworkErrors: (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => void
  trustProxy: boolean | ((address: string, hop: number) => boolean)
}

/**
 * The Fastify options for BODY_LIMIT_BYTES, REQUEST_TIMEOUT_MS, MAX_HEADER_BYTES and TRUST_PROXY.
 * `answerHeaders` go on the answers Node's parser refusals get (src/http/security.ts' headers).
 */
export function edgeServerOptions (config: Pick<Config, 'BODY_LIMIT_BYTES' | 'REQUEST_TIMEOUT_MS' | 'MAX_HEADER_BYTES' | 'TRUST_PROXY'>,
  answerHeaders: Readonly<Record<string, string>> = {}): EdgeServerOptions {
  const hops = config.TRUST_PROXY
  const timeoutMs = config.REQUEST_TIMEOUT_MS
  return {
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestTimeout: timeoutMs,
    http: {
      maxHeaderSize: config.MAX_HEADER_BYTES,
      // Node ignores a request timeout shorter than its head timeout (60 s by
      // default), and checks for late requests every 30 s, which would let
      // one take up to 30 s more than allowed: check ten times per timeout.
      ...(timeoutMs > 0
        ? { headersTimeout: Math.min(60_000, timeoutMs), connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(timeoutMs / 10))) }
        : {})
    },
    clientErrorHandler: clientErrorHandler(answerHeaders),
    frameworkErrors: frameworkErrors(answerHeaders),
    // Per-IP rate limits need the client's address, not the load balancer's:
    // trust X-Forwarded-For for that many hops, counted from the nearest.
    trustProxy: hops > 0 ? (_address, hop) => hop < hops : false
  }
}

/**
 * Time to take an answer. Nothing bounded it: a client that asks and never
 * reads kept its answer (the socket's write buffer, off the heap, where load
 * shedding does not see it) and its connection for as long as it liked.
 * Once an answer over SMALL_ANSWER_BYTES is being sent, a client that takes none of it for
 * REQUEST_TIMEOUT_MS is disconnected and the answer freed. This is Node's
 * socket timeout, which counts time without progress, not the answer's
 * total time: any byte read or written, or a write queue that shrank since
 * the last check, restarts it (so a stalled reader goes after one to two
 * timeouts), and a slow reader that keeps reading is served to the end.
 * Only while an answer is sent: the wait for the upstream before it is
 * UPSTREAM_TIMEOUT_MS's to bound, an idle keep-alive connection Node's
 * keepAliveTimeout's, which Node sets after each answer. REQUEST_TIMEOUT_MS
 * 0: off, as the request timeout.
 */
export const sendTimeout = fp(async function sendTimeout (fastify, opts: { config: Pick<Config, 'REQUEST_TIMEOUT_MS'> }) {
  const ms = opts.config.REQUEST_TIMEOUT_MS
  if (ms === 0) return
  // Synchronous, like every hook on the hot path.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    // inject() answers have no socket to time; a small answer goes to the
    // socket's buffers in one write and holds little (arming and clearing
    // the timer was some 5% of a cached read's CPU).
    if (request.raw.socket instanceof Socket && !isSmallAnswer(payload)) {
      const response = reply.raw
      // Sets the socket's timeout now, or when a pipelined answer gets the
      // socket. A 'timeout' listener on the answer leaves the socket to it.
      response.setTimeout(ms, () => {
        request.log.info({ timeoutMs: ms }, 'answer not taken in time: connection dropped')
        response.destroy()
      })
      // Before Node's own 'finish' listener, which sets the keep-alive timeout or hands the socket to a pipelined request.
      response.prependOnceListener('finish', endSendTimeout)
    }
    done(null, payload)
  })
}, { name: 'send-timeout', fastify: '5.x' })

/** Answers up to this size are not timed: what a stalled reader holds of them is bounded by its connections. */
export const SMALL_ANSWER_BYTES = 64 * 1024

function isSmallAnswer (payload: unknown): boolean {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most strings need no count.
  if (typeof payload === 'string') return payload.length * 3 <= SMALL_ANSWER_BYTES || Buffer.byteLength(payload) <= SMALL_ANSWER_BYTES
  if (Buffer.isBuffer(payload)) return payload.length <= SMALL_ANSWER_BYTES
  // No body, or a stream (a file): a stream is timed.
  return payload === null || payload === undefined
}

/** An answer is sent: what follows on its connection is untimed again, as Node starts every request. */
function endSendTimeout (this: ServerResponse): void {
  this.socket?.setTimeout(0)
}

/** What Node's HTTP parser refused, as a status and a safe message. */
function clientErrorOf (err: ConnectionError): { status: number, code: GrpcStatus, message: string } {
  if (err.code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: GrpcStatus.INVALID_ARGUMENT, message: 'the request headers are too large' }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: GrpcStatus.DEADLINE_EXCEEDED, message: 'the request was not received in time' }
  return { status: 400, code: GrpcStatus.INVALID_ARGUMENT, message: 'malformed HTTP request' }
}

/** The status clientErrorHandler wrote on a connection, by socket. */
const refusals = new WeakMap<Socket, number>()

/**
 * The status clientErrorHandler answered on `socket`, if it did: a request
 * Fastify had already routed (a body cut off by REQUEST_TIMEOUT_MS, 408) is
 * answered there, not through Fastify, and its metrics count it so.
 */
export function refusedStatus (socket: Socket | null | undefined): number | undefined {
  return socket == null ? undefined : refusals.get(socket)
}

/**
 * The status of a request whose connection closed before its answer was
 * written: the client went away (nginx's "client closed request", and the
 * status of the gateway's CANCELLED).
 */
export const CLIENT_CLOSED = 499

/**
 * What a request whose connection closed before its answer was written is
 * counted (metrics) and logged (the access line) under: the status already
 * sent, the one clientErrorHandler answered (refusedStatus), or CLIENT_CLOSED.
 */
export function unansweredStatus (response: ServerResponse, socket: Socket | null | undefined): number {
  return response.headersSent ? response.statusCode : refusedStatus(socket) ?? CLIENT_CLOSED
}

/**
 * Fastify's clientErrorHandler: answer a request Node's parser refused with
 * the Status body, then drop the connection (its framing is unknown). The
 * answer carries the headers every other answer does (`headers`: the
 * security headers), and a request id of its own, also on the log line:
 * the refused request's own X-Request-Id, if any, was never read.
 */
export function clientErrorHandler (headers: Readonly<Record<string, string>>): (this: FastifyInstance, err: ConnectionError, socket: Socket) => void {
  const fixed = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
  return function refuseMalformed (err, socket) {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    // Nor one that ended inside a request (a client leaving mid-upload): not
    // a malformed request, and its metrics count it as a client that left.
    if (err.code === 'HPE_INVALID_EOF_STATE') {
      socket.destroy()
      return
    }
    const { status, code, message } = clientErrorOf(err)
    const reqId = randomUUID()
    this.log.info({ reqId, code: err.code, status }, 'malformed request refused')
    this.metrics?.observeMalformed(status)
    if (socket.writable) {
      refusals.set(socket, status)
      const body = JSON.stringify({ code, message, details: [] })
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${fixed}x-request-id: ${reqId}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    }
    socket.destroy()
  }
}

/**
 * Fastify's frameworkErrors: a URL the router cannot decode (bad
 * percent-encoding, a path parameter over its length limit) is refused
 * before routing, so outside the error handler and the onRequest hooks;
 * same Status body, in words that do not quote the URL, with the request
 * id and `answerHeaders` (the security headers) the hooks would have set.
 */
export function frameworkErrors (answerHeaders: Readonly<Record<string, string>> = {}): EdgeServerOptions['frameworkErrors'] {
  return (err, request, reply) => {
    request.log.info({ code: err.code }, 'malformed URL refused')
    reply.headers(answerHeaders).header('x-request-id', request.id)
    // describeError words these refusals (FRAMEWORK_MESSAGES in src/errors.ts).
    sendStatus(reply, describeError(err))
  }
}

/** Names of the single-value headers the request repeats (lower case). */
export function repeatedHeaders (rawHeaders: readonly string[]): string[] {
  const seen = new Set<string>()
  const repeated = new Set<string>()
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase()
    if (!SINGLE_HEADERS.has(name)) continue
    if (seen.has(name)) repeated.add(name)
    seen.add(name)
  }
  return [...repeated]
}

/**
 * Global onRequest hook: 400 for a repeated single-value header, 401 for an
 * Authorization value gRPC metadata cannot carry. Synchronous, like every
 * hook on the hot path: an async one costs a promise per request.
 */
function refuseBadHeaders (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const [first] = repeatedHeaders(request.raw.rawHeaders)
  if (first !== undefined) return done(new errors.RepeatedHeader(first))
  const value = request.headers.authorization
  if (value !== undefined && !isMetadataValue(value)) return done(new errors.MalformedCredential())
  done()
}

/** Strict: throws on the first invalid byte instead of substituting U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** The media type of a Content-Type value, lower case, without its parameters. */
function mediaTypeOf (contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? ''
}

/** A pass-through stream that fails with InvalidUtf8 (400) at the first byte that is not UTF-8. */
function strictUtf8Stream (): Transform {
  // One decoder per body, streaming: a character may straddle two chunks.
  const decoder = new TextDecoder('utf-8', { fatal: true })
  return new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      try {
        decoder.decode(chunk, { stream: true })
      } catch {
        callback(new errors.InvalidUtf8())
        return
      }
      callback(null, chunk)
    },
    flush (callback) {
      try {
        decoder.decode()
      } catch {
        // The body ends inside a character.
        callback(new errors.InvalidUtf8())
        return
      }
      callback()
    }
  })
}

/**
 * Route preParsing hook: a `mediaType` body that a parser not ours decodes
 * as a string (mercurius' application/graphql on /graphql) must be valid
 * UTF-8, like a JSON body. The bytes are checked as they pass, unchanged, so
 * Fastify still counts them against the body limit and Content-Length.
 */
export function strictUtf8Body (mediaType: string): (request: FastifyRequest, reply: FastifyReply, payload: Readable, done: (err: Error | null, payload?: Readable) => void) => void {
  return function refuseInvalidUtf8 (request, _reply, payload, done) {
    if (mediaTypeOf(request.headers['content-type']) !== mediaType) {
      done(null, payload)
      return
    }
    const checked = strictUtf8Stream()
    // Not pipeline(): on a bad byte it would destroy the request, and the socket with it, before the 400 is sent.
    payload.on('error', (err) => checked.destroy(err))
    done(null, payload.pipe(checked))
  }
}

/**
 * Why a JSON body Fastify refused was refused: it does not parse (where,
 * in JSON.parse's words), or it does and holds a `__proto__` or
 * `constructor.prototype` key (prototype poisoning). Fastify says "Body is
 * not valid JSON" for both. Runs only on a refused body.
 */
function jsonRefusal (text: string): Error {
  try {
    JSON.parse(text)
  } catch (err) {
    return new errors.InvalidArgument(`the body is not valid JSON: ${(err as Error).message}`)
  }
  return new errors.InvalidArgument('the body holds a "__proto__" or "constructor.prototype" key, which no field has: it is refused')
}

/** The tokens of JSON text that give its structure: strings (whole), brackets, commas, colons; numbers and literals are skipped. */
const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\],:]/g

/** One open object or array of a JSON text, for repeatedKey. */
interface Open { path: string, keys?: Set<string>, expectKey: boolean, index: number, last: string }

/**
 * The path (`a.b[2].c`) of the first object key a JSON text gives twice, or
 * undefined. JSON.parse keeps the last value of a repeated key without a
 * word; protojson, as grpc-gateway parses a body, refuses it, and so does
 * GraphQL in an input object: a body that says two things gets a 400 here
 * instead of one of them silently. `text` must be valid JSON. Keys are
 * compared as JSON.parse reads them (`"a"` and `"\u0061"` are one key).
 */
export function repeatedKey (text: string): string | undefined {
  const stack: Open[] = []
  const child = (): string => {
    const top = stack.at(-1)
    if (top === undefined) return ''
    return top.keys === undefined ? `${top.path}[${top.index}]` : top.path === '' ? top.last : `${top.path}.${top.last}`
  }
  JSON_TOKEN.lastIndex = 0
  for (let m = JSON_TOKEN.exec(text); m !== null; m = JSON_TOKEN.exec(text)) {
    const token = m[0]
    const top = stack.at(-1)
    switch (token) {
      case '{': stack.push({ path: child(), keys: new Set(), expectKey: true, index: 0, last: '' }); break
      case '[': stack.push({ path: child(), expectKey: false, index: 0, last: '' }); break
      case '}': case ']': stack.pop(); break
      case ',': if (top !== undefined) { if (top.keys === undefined) top.index++; else top.expectKey = true } break
      case ':': if (top !== undefined) top.expectKey = false; break
      default:
        if (top?.keys === undefined || !top.expectKey) break
        top.last = token.includes('\\') ? JSON.parse(token) as string : token.slice(1, -1)
        if (top.keys.has(top.last)) return child()
        top.keys.add(top.last)
    }
  }
  return undefined
}

export default fp(async function inputHygiene (fastify) {
  fastify.addHook('onRequest', refuseBadHeaders)

  // JSON as Fastify parses it (empty body 400 unless the route sets `emptyJsonBody`, __proto__ refused), from strictly decoded UTF-8.
  const parseJson = fastify.getDefaultJsonParser('error', 'error')
  fastify.removeContentTypeParser(['application/json', 'text/plain'])
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, function strictJson (request, body, done) {
    let text: string
    try {
      text = UTF8.decode(body as Buffer)
    } catch {
      done(new errors.InvalidUtf8(), undefined)
      return
    }
    // REST routes opt in (src/rest/routes.ts): like grpc-gateway, they read an empty body as an empty message.
    if (request.routeOptions.config.emptyJsonBody === true && /^[ \t\n\r]*$/.test(text)) {
      done(null, undefined)
      return
    }
    parseJson(request, text, (err, body) => {
      if (err !== null) {
        done((err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? jsonRefusal(text) : err, undefined)
        return
      }
      const repeated = repeatedKey(text)
      if (repeated === undefined) done(null, body)
      else done(new errors.InvalidArgument(`the body gives ${JSON.stringify(repeated)} twice: give each field once`), undefined)
    })
  })
}, { name: 'input-hygiene', fastify: '5.x' })
