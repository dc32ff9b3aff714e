/**
 * The gRPC side: one channel to VBaseService, created at boot and closed at
 * shutdown, unary calls with a deadline, retries for reads only, and upstream
 * failures turned into UpstreamError with a message safe to show.
 */
import { readFileSync } from 'node:fs'
import * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import { errors, grpcStatusName, OUTCOME_UNKNOWN, safeUpstreamError, SAFE_UPSTREAM_MESSAGES, UpstreamError, WORDLESS_UPSTREAM_MESSAGES, WRITE_OUTCOME_UNKNOWN_MESSAGES } from '../errors.js'
import { LogThrottle } from '../log-throttle.js'
import { scrubCredentials } from '../logger.js'
import { contract, type MethodInfo } from './contract.js'
import { toMetadata, type CallContext, type CancelSignal } from './metadata.js'
import { statusDetailsOf } from './status-details.js'
import { WireAnswer } from './wire.js'

/** Options of the upstream client; see `.env.example` for the variables behind them. */
export interface UpstreamClientOptions {
  /** `host:port`. */
  address: string
  tls?: boolean
  /** Skip certificate verification, like `grpcurl -insecure`. */
  tlsInsecure?: boolean
  /** PEM of an extra CA to trust. */
  tlsCa?: Buffer
  /** Default and maximum deadline of a call. */
  timeoutMs: number
  /** Attempts for a read on UNAVAILABLE, the first included. */
  readAttempts: number
  /** Base of the exponential backoff between read attempts. */
  retryBaseMs?: number
  /** Retry lines: at warn at most once per `retryLogIntervalMs` (counting those held back), the others at debug. */
  logger?: { warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
  /** Default RETRY_LOG_INTERVAL_MS. */
  retryLogIntervalMs?: number
  /** Largest answer taken, bytes (UPSTREAM_MAX_MESSAGE_BYTES); unset: grpc-js's 4 MiB. */
  maxMessageBytes?: number
  /** Told about every call attempt, e.g. by the metrics plugin. */
  observer?: UpstreamObserver
}

/**
 * Callbacks on each call attempt to VBaseService (a retried read makes one
 * attempt per try; health checks are not reported). What they throw is
 * ignored: metrics must never fail a call.
 */
export interface UpstreamObserver {
  /** An attempt of `method` (e.g. `ListBackups`) started. */
  onCallStart? (method: string): void
  /** That attempt ended with gRPC `code` (0 = OK) after `seconds`. */
  onCallEnd? (method: string, code: number, seconds: number): void
}

/** A raw grpc-js failure as the client saw it. */
type GrpcFailure = grpc.ServiceError

/**
 * grpc-js's own RESOURCE_EXHAUSTED when an answer is larger than the channel
 * takes: not the upstream out of capacity (a 429 to retry), but this
 * gateway's limit, which retrying will not change.
 */
const ANSWER_TOO_LARGE = /^Received message larger than max/

/**
 * grpc-js' words for a call that never left the gateway: no connection to
 * pick, or the deadline ran out while waiting for one. Such a write was
 * not applied. Were they to change, a write is only said to be maybe
 * applied when it was not, the cautious side.
 */
const NOT_SENT = /No connection established|Waiting for LB pick/

/**
 * Turn a grpc-js error into an UpstreamError whose message is safe to show:
 * a fixed one for server-side codes, the upstream's own words for the
 * caller's mistakes (4xx), with any credential they quote (`Bearer ...`,
 * `token=...`) replaced. It would be the caller's own, but an error text
 * travels further than a header: into a page, a screenshot, a frontend's
 * error tracker. A `write` that failed once sent, with an outcome the
 * gateway cannot know, says it may have been applied. The caller-side
 * failures also keep VBase's google.rpc details (`grpc-status-details-bin`,
 * see status-details.ts); the server-side ones, whose words are replaced,
 * drop them too.
 */
export function toUpstreamError (err: GrpcFailure, write = false): UpstreamError {
  const code = typeof err.code === 'number' ? err.code : grpc.status.UNKNOWN
  if (code === grpc.status.RESOURCE_EXHAUSTED && ANSWER_TOO_LARGE.test(err.details ?? '')) {
    return new UpstreamError(grpc.status.INTERNAL, "the backup service's answer is larger than this gateway takes (UPSTREAM_MAX_MESSAGE_BYTES)", err.details, undefined, { write })
  }
  const unknownOutcome = write && OUTCOME_UNKNOWN.has(code) && !NOT_SENT.test(err.details ?? '') ? WRITE_OUTCOME_UNKNOWN_MESSAGES[code] : undefined
  if (unknownOutcome !== undefined) return new UpstreamError(code, unknownOutcome, err.details ?? '', 'WRITE_OUTCOME_UNKNOWN', { write })
  const safe = SAFE_UPSTREAM_MESSAGES[code]
  const message = safe ?? (err.details !== '' ? scrubCredentials(err.details) : WORDLESS_UPSTREAM_MESSAGES[code] ?? grpc.status[code] ?? 'upstream error')
  const statusDetails = safe === undefined ? statusDetailsOf(err.metadata, code) : undefined
  return new UpstreamError(code, message, err.details ?? '', undefined, { statusDetails, write })
}

function credentials (opts: UpstreamClientOptions): grpc.ChannelCredentials {
  if (opts.tls !== true) return grpc.credentials.createInsecure()
  if (opts.tlsInsecure === true) {
    return grpc.credentials.createSsl(opts.tlsCa ?? null, null, null, { rejectUnauthorized: false })
  }
  return grpc.credentials.createSsl(opts.tlsCa ?? null)
}

/** Codes of a readiness probe that say VBaseService did not answer. */
const NOT_ANSWERED: ReadonlySet<number> = new Set([grpc.status.UNIMPLEMENTED, grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.UNKNOWN, grpc.status.INTERNAL])

/** The line logged when a read is retried on UNAVAILABLE. */
export const RETRY_MESSAGE = 'upstream unavailable, retrying read'
/** At most one retry line at warn per this many ms; the others go out at debug. */
export const RETRY_LOG_INTERVAL_MS = 10_000

/** Channel options: keepalive, and a short reconnect backoff so a returning upstream is picked up quickly. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
  'grpc.enable_retries': 0
}

// grpc.health.v1, inlined: two tiny messages, not worth a dependency.
const healthRoot = protobuf.Root.fromJSON({
  nested: {
    HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
    HealthCheckResponse: { fields: { status: { type: 'int32', id: 1 } } }
  }
})
const HealthCheckRequest = healthRoot.lookupType('HealthCheckRequest')
const HealthCheckResponse = healthRoot.lookupType('HealthCheckResponse')
const HEALTH_SERVING = 1

/** How a call's answer is handed back. */
export interface UnaryOptions {
  /** As a WireAnswer: the bytes, decoded when asked (the list cache's reads). Default: decoded. */
  wire?: boolean
}

/** The upstream client: typed unary calls over one channel. */
export interface UpstreamClient {
  /**
   * One unary call, retried on UNAVAILABLE when the method is a read. The
   * answer is decoded, or a WireAnswer with `{ wire: true }`.
   */
  unary (method: MethodInfo, request: object, ctx: CallContext, opts?: UnaryOptions): Promise<object>
  /**
   * True when the upstream's health service answers SERVING; or, when it has
   * none (UNIMPLEMENTED), when VBaseService itself answers: a VBase without
   * grpc.health.v1 must not keep the gateway unready, and a proxy that
   * answers 404 for everything must not make it ready.
   */
  healthy (timeoutMs?: number): Promise<boolean>
  /**
   * The same check as `healthy`, with why it failed: for the log line of a
   * readiness transition. Optional: a client without it is read through
   * `healthy`, with no cause.
   */
  health? (timeoutMs?: number): Promise<HealthAnswer>
  close (): void
}

/**
 * A health check's answer. `cause` (when not ok) is the gRPC code's name and
 * grpc-js's details, credentials scrubbed: safe for a log line, not for a client.
 */
export type HealthAnswer = { ok: true } | { ok: false, cause: HealthCause }
export interface HealthCause {
  /** The gRPC code's name (`UNAVAILABLE`), or the health status the upstream reported (`NOT_SERVING`). */
  code: string
  details: string
  /** Which check said it: the health service, or VBaseService when there is none; unset when the check itself threw. */
  check?: 'grpc.health.v1' | 'VBaseService'
}

/** grpc.health.v1's statuses, by number. */
const HEALTH_STATUS_NAMES: readonly string[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']

/** The cause of a failed check, from a grpc-js error. */
function failureCause (err: grpc.ServiceError, check: NonNullable<HealthCause['check']>): HealthCause {
  return { code: grpcStatusName(err.code), details: scrubCredentials(err.details ?? ''), check }
}

/** Create the client and its channel; the channel connects lazily on first use. */
export function createUpstreamClient (opts: UpstreamClientOptions): UpstreamClient {
  const client = new grpc.Client(opts.address, credentials(opts), opts.maxMessageBytes === undefined
    ? CHANNEL_OPTIONS
    : { ...CHANNEL_OPTIONS, 'grpc.max_receive_message_length': opts.maxMessageBytes })
  const retryBaseMs = opts.retryBaseMs ?? 50
  // While the upstream is down every read retries: one warn line per interval, not two per request.
  const retryLines = new LogThrottle(opts.retryLogIntervalMs ?? RETRY_LOG_INTERVAL_MS)

  const observer = opts.observer
  const notify = (fn: () => void): void => {
    try { fn() } catch { /* see UpstreamObserver */ }
  }

  function attempt (method: MethodInfo, request: object, metadata: grpc.Metadata, signal: CancelSignal | undefined, deadline: number,
    deserialize: (bytes: Buffer) => object): Promise<object> {
    const def = method.definition
    const started = performance.now()
    if (observer?.onCallStart !== undefined) notify(() => observer.onCallStart?.(method.name))
    const ended = (code: number): void => {
      if (observer?.onCallEnd !== undefined) notify(() => observer.onCallEnd?.(method.name, code, (performance.now() - started) / 1000))
    }
    return new Promise((resolve, reject) => {
      let call: grpc.ClientUnaryCall
      try {
        call = client.makeUnaryRequest(def.path, def.requestSerialize, deserialize, request,
          metadata, { deadline }, (err, value) => {
            signal?.removeEventListener('abort', onAbort)
            ended(err === null ? grpc.status.OK : typeof err.code === 'number' ? err.code : grpc.status.UNKNOWN)
            if (err !== null) reject(err)
            else resolve(value as object)
          })
      } catch (err) {
        // A closed channel throws here rather than calling back: the
        // upstream is out of reach for this process, not failing.
        ended(grpc.status.UNAVAILABLE)
        reject(safeUpstreamError(grpc.status.UNAVAILABLE, (err as Error).message))
        return
      }
      const onAbort = (): void => call.cancel()
      signal?.addEventListener('abort', onAbort, { once: true })
      // The signal may have fired before the listener was added.
      if (signal?.aborted === true) call.cancel()
    })
  }

  /** Wait `ms`, or less if `signal` aborts first (a Disconnect is not the AbortSignal Node's timers/promises is typed for). */
  function pause (ms: number, signal: CancelSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted === true) { resolve(); return }
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  /** The call's metadata, built once for all its attempts; unusable caller input is a 4xx, never a crash. */
  function metadataOf (ctx: CallContext): grpc.Metadata {
    try {
      return toMetadata(ctx)
    } catch (err) {
      if (err instanceof errors.MalformedCredential) throw err
      // grpc-js' message quotes the value: never pass it on.
      throw new errors.InvalidArgument('a forwarded header holds characters gRPC metadata cannot carry')
    }
  }

  /**
   * Whether VBaseService itself answers at the address: a ListBackups with
   * no credentials and no fields. Any answer but "no such method" or "not
   * there" (UNAUTHENTICATED, as a real VBase gives, or INVALID_ARGUMENT)
   * means the service is up and routed to.
   */
  function serviceAnswers (deadline: number): Promise<HealthAnswer> {
    const probe = contract.method('ListBackups').definition
    return new Promise((resolve) => {
      client.makeUnaryRequest(probe.path, probe.requestSerialize, probe.responseDeserialize, {}, new grpc.Metadata(), { deadline },
        (err) => { resolve(err === null || !NOT_ANSWERED.has(err.code) ? { ok: true } : { ok: false, cause: failureCause(err, 'VBaseService') }) })
    })
  }

  function health (timeoutMs = 1000): Promise<HealthAnswer> {
    const deadline = Date.now() + timeoutMs
    return new Promise((resolve) => {
      client.makeUnaryRequest('/grpc.health.v1.Health/Check',
        (msg: { service: string }) => Buffer.from(HealthCheckRequest.encode(msg).finish()),
        (buf: Buffer) => HealthCheckResponse.toObject(HealthCheckResponse.decode(buf)) as { status: number },
        { service: '' }, new grpc.Metadata(), { deadline },
        (err, value) => {
          if (err === null) {
            const answered = value?.status ?? 0
            resolve(answered === HEALTH_SERVING
              ? { ok: true }
              : { ok: false, cause: { code: HEALTH_STATUS_NAMES[answered] ?? String(answered), details: 'the health service reports the upstream not serving', check: 'grpc.health.v1' } })
          // No health service: ask VBaseService itself (a proxy in front may answer 404 for any path, which is UNIMPLEMENTED too).
          } else if (err.code === grpc.status.UNIMPLEMENTED) void serviceAnswers(deadline).then(resolve)
          else resolve({ ok: false, cause: failureCause(err, 'grpc.health.v1') })
        })
    })
  }

  return {
    async unary (method, request, ctx, how) {
      const decode = method.definition.responseDeserialize
      const deserialize = how?.wire === true ? (bytes: Buffer) => new WireAnswer(bytes, decode) : decode
      const timeoutMs = Math.min(ctx.timeoutMs ?? opts.timeoutMs, opts.timeoutMs)
      // From when the call entered the upstream path: a wait for a concurrency slot counts.
      const deadline = (ctx.startedAt ?? Date.now()) + timeoutMs
      const attempts = method.read ? opts.readAttempts : 1
      const metadata = metadataOf(ctx)
      const signal = ctx.signal
      // A function, not a narrowed property: the signal changes across awaits.
      const aborted = (): boolean => signal?.aborted === true
      for (let n = 1; ; n++) {
        // Checked before every attempt: a caller gone during the backoff must not start another.
        if (aborted()) throw safeUpstreamError(grpc.status.CANCELLED)
        try {
          return await attempt(method, request, metadata.clone(), signal, deadline, deserialize)
        } catch (err) {
          if (err instanceof UpstreamError) throw err
          const failure = err as GrpcFailure
          const backoff = retryBaseMs * 2 ** (n - 1) * (0.5 + Math.random() / 2)
          const retry = failure.code === grpc.status.UNAVAILABLE && n < attempts &&
            Date.now() + backoff < deadline && !aborted()
          if (!retry) throw toUpstreamError(failure, !method.read)
          // The request's id, as the gateway set it and forwards it: the line says which request it is about.
          const line = { reqId: ctx.headers['x-request-id'], method: method.name, attempt: n, code: 'UNAVAILABLE' }
          if (opts.logger !== undefined) retryLines.warnOrDebug(opts.logger, line, RETRY_MESSAGE)
          // An abort ends the wait early; the check above then ends the call.
          await pause(backoff, signal)
        }
      }
    },

    async healthy (timeoutMs) {
      return (await health(timeoutMs)).ok
    },

    health,

    close () {
      client.close()
    }
  }
}

/** Read a CA file once at boot. */
export function readCa (file: string | undefined): Buffer | undefined {
  return file === undefined ? undefined : readFileSync(file)
}

