/**
 * The environment, read in one place: validated once at start against a
 * schema, typed, with defaults. `.env.example` documents every variable.
 * No other module reads `process.env`.
 */
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import dotenv from 'dotenv'
import envSchema from 'env-schema'
import { errors } from './errors.js'
import { parseTokens } from './simulator/auth.js'

/** Typed gateway configuration. */
export interface Config {
  HOST: string
  PORT: number
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** `host:port` of VBaseService; unset means the embedded simulator. */
  VBASE_UPSTREAM?: string
  VBASE_TLS: boolean
  VBASE_TLS_INSECURE: boolean
  /** Path to a PEM file with an extra CA for the upstream's certificate. */
  VBASE_TLS_CA?: string
  UPSTREAM_TIMEOUT_MS: number
  /** Attempts for a read on UNAVAILABLE, the first included. */
  UPSTREAM_READ_ATTEMPTS: number
  /** Largest upstream answer taken, bytes (grpc-js's own default is 4 MiB). */
  UPSTREAM_MAX_MESSAGE_BYTES: number
  /** REST JSON field names: proto (snake_case, as the reference) or json (lowerCamelCase). */
  REST_JSON_NAMES: 'proto' | 'json'
  /** TTL of a cached list. */
  CACHE_TTL_MS: number
  /** TTL of a cached list holding a PENDING or RUNNING job (capped by CACHE_TTL_MS). */
  CACHE_PENDING_TTL_MS: number
  /**
   * How long after VBase last answered a read for a caller that caller's
   * cached lists are served without asking VBase; its next read after that
   * goes upstream, so a revoked token stops reading them within this much.
   */
  CACHE_TOKEN_RECHECK_MS: number
  /** Most entries of the in-memory cache (LRU). */
  CACHE_MAX_ENTRIES: number
  /** Most bytes of the in-memory cache (LRU; strings counted at two bytes a character); a larger answer is served, not kept. */
  CACHE_MAX_BYTES: number
  /** Shared cache in Redis instead of memory; a database index in the URL is honored. */
  CACHE_REDIS_URL?: string
  /** Prefix of every Redis key the cache writes. */
  CACHE_REDIS_PREFIX: string
  /** Longest wait for one Redis command before the read bypasses the cache. */
  CACHE_REDIS_TIMEOUT_MS: number
  /**
   * Key of the HMAC-SHA256 that turns an Authorization value into the
   * principal in cache and rate-limit keys (src/cache/keys.ts), so whoever
   * reads Redis cannot test guessed tokens offline. Unset: an unkeyed
   * SHA-256. The same value on every replica sharing a Redis. A secret:
   * never logged.
   */
  PRINCIPAL_HASH_SECRET?: string
  /** At most one "cache storage unavailable" log line per this many ms. */
  CACHE_ERROR_LOG_MS: number
  /** Interval of the "cache stats" log line; 0 (the default) turns it off: /metrics has the same counters. */
  CACHE_STATS_LOG_MS: number
  // operations
  /** Serve Prometheus metrics at /metrics (unauthenticated: keep it off the public listener). */
  METRICS_ENABLED: boolean
  /** After SIGTERM, how long /readyz answers 503 while still serving, so load balancers stop routing here. */
  SHUTDOWN_DELAY_MS: number
  /** After the listener closes, how long in-flight requests get to finish before the process exits 1. */
  SHUTDOWN_GRACE_MS: number
  /**
   * How far V8 lets the heap grow past what the last full GC kept before the
   * next one, in percent (V8's --heap-growing-percent); 0 leaves V8's own choice.
   */
  HEAP_GROWING_PERCENT: number
  /**
   * Replace Node 20's AsyncResource.prototype.bind with one that binds without
   * the per-function accessor that kept every upstream call past young GCs
   * (src/ops/async-bind.ts); a no-op on a Node without it.
   */
  ASYNC_BIND_FIX: boolean
  SIM_PORT: number
  SIM_TOKENS?: string
  SIM_SEED: boolean
  SIM_JOB_MS: number
  // production protections
  /** Deepest selection a GraphQL operation may have (fields, not fragments; `__schema` is bounded by graphql-js itself). */
  GRAPHQL_MAX_DEPTH: number
  /** Most aliases in one GraphQL operation. */
  GRAPHQL_MAX_ALIASES: number
  /** Most lexical tokens in one GraphQL document; parsing stops past it. */
  GRAPHQL_MAX_TOKENS: number
  /** Largest GraphQL query text, in UTF-8 bytes (each one of a batch, a GET's too), refused before it is parsed. */
  GRAPHQL_MAX_QUERY_BYTES: number
  /** Parsed GraphQL documents kept for reuse, valid ones and failed ones each (twice that at most). */
  GRAPHQL_DOCUMENT_CACHE: number
  /** Highest cost of one GraphQL operation (graphql-armor's cost model: objects 2, scalars 1, x1.5 per level, x`first`). */
  GRAPHQL_MAX_COST: number
  /** Most operations in one batched GraphQL request (a JSON array). */
  GRAPHQL_MAX_BATCH: number
  /** Most calls to VBaseService one GraphQL request (a batch included) makes, reads after memoization and writes alike. */
  GRAPHQL_MAX_UPSTREAM_CALLS: number
  /** Most listed items (backups, services, policies, and one per list) one GraphQL request's answer holds, a batch included. */
  GRAPHQL_MAX_NODES: number
  /** Drop graphql-js' "Did you mean ...?" hints from error messages, so the schema cannot be guessed field by field. */
  GRAPHQL_HIDE_SUGGESTIONS: boolean
  /** Answer introspection (`__schema`, `__type`); GraphiQL's explorer and completion need it. */
  GRAPHQL_INTROSPECTION: boolean
  /** Refuse requests a browser could send cross-site without a CORS preflight, on /graphql and REST writes. */
  CSRF_PREVENTION: boolean
  /** Origins allowed by CORS, comma-separated (`*` for any); unset: no CORS headers at all. */
  CORS_ORIGINS?: string
  /** Largest request body accepted. */
  BODY_LIMIT_BYTES: number
  /** Largest request head (request line and headers) Node's HTTP parser accepts; past it, 431. */
  MAX_HEADER_BYTES: number
  /** Longest a client may take to send a whole request (head and body); past it, 408. 0 turns it off. */
  REQUEST_TIMEOUT_MS: number
  /** Proxies in front of the gateway whose X-Forwarded-For is trusted, in hops; 0 trusts none. */
  TRUST_PROXY: number
  /** Requests per principal (see PRINCIPAL_HASH_SECRET), or per IP without a token, per window; 0 turns rate limiting off. */
  RATE_LIMIT_MAX: number
  /**
   * Requests per client IP per window, whatever Authorization values it sends
   * (made-up tokens must not each get a fresh budget); unset: 4 x RATE_LIMIT_MAX; 0 turns it off.
   */
  RATE_LIMIT_IP_MAX?: number
  /** The rate limit's window. */
  RATE_LIMIT_WINDOW_MS: number
  /**
   * With CACHE_REDIS_URL set, count rate limits in that Redis, so they hold
   * across replicas. Off by default: it costs two Redis round trips per
   * request (the per-principal and the per-IP counter).
   */
  RATE_LIMIT_SHARED: boolean
  /** Shed load (503) when the mean event-loop delay exceeds this; 0 turns the check off. */
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: number
  /** Shed load (503) when the used heap exceeds this fraction of V8's heap limit; 0 turns the check off. */
  PRESSURE_MAX_HEAP_RATIO: number
  /** Upstream calls in flight at once, across all callers; more wait in a queue. */
  UPSTREAM_MAX_CONCURRENCY: number
  /** Longest wait in that queue before the call fails with 503; 0 fails at once when the cap is reached. */
  UPSTREAM_QUEUE_TIMEOUT_MS: number
  /** Send security headers (helmet): CSP, HSTS, nosniff, frame denial... */
  SECURITY_HEADERS: boolean
}

/** Node's longest timer delay: a longer one fires after 1 ms, with a TimeoutOverflowWarning. */
const MAX_TIMER_MS = 2_147_483_647

// Every *_MS that ends up in a timer has MAX_TIMER_MS as its maximum.
const schema = {
  type: 'object',
  required: [],
  properties: {
    HOST: { type: 'string', default: '127.0.0.1', minLength: 1 },
    PORT: { type: 'integer', default: 4000, minimum: 0, maximum: 65535 },
    LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    // host:port or [IPv6]:port; the port's range is checked in parseUpstream.
    VBASE_UPSTREAM: { type: 'string', pattern: '^([^\\s:\\[\\]]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$' },
    VBASE_TLS: { type: 'boolean', default: false },
    VBASE_TLS_INSECURE: { type: 'boolean', default: false },
    VBASE_TLS_CA: { type: 'string', minLength: 1 },
    UPSTREAM_TIMEOUT_MS: { type: 'integer', default: 5000, minimum: 1, maximum: MAX_TIMER_MS },
    UPSTREAM_READ_ATTEMPTS: { type: 'integer', default: 3, minimum: 1, maximum: 10 },
    UPSTREAM_MAX_MESSAGE_BYTES: { type: 'integer', default: 64 * 1024 * 1024, minimum: 1024, maximum: 2_147_483_647 },
    REST_JSON_NAMES: { type: 'string', enum: ['proto', 'json'], default: 'proto' },
    CACHE_TTL_MS: { type: 'integer', default: 30000, minimum: 0 },
    CACHE_PENDING_TTL_MS: { type: 'integer', default: 2000, minimum: 0 },
    CACHE_TOKEN_RECHECK_MS: { type: 'integer', default: 5000, minimum: 1, maximum: MAX_TIMER_MS },
    CACHE_MAX_ENTRIES: { type: 'integer', default: 10000, minimum: 1 },
    CACHE_MAX_BYTES: { type: 'integer', default: 67108864, minimum: 1 },
    // Checked further in parseRedisUrl, as ioredis will parse it.
    CACHE_REDIS_URL: { type: 'string', pattern: '^rediss?://' },
    CACHE_REDIS_PREFIX: { type: 'string', default: 'vbgw:', pattern: '^\\S*$' },
    // The Redis client's connect timeout is five times this (src/cache/redis.ts).
    CACHE_REDIS_TIMEOUT_MS: { type: 'integer', default: 100, minimum: 1, maximum: Math.floor(MAX_TIMER_MS / 5) },
    // No default: a default secret would be a public one. The message of a bad value names the variable, not the value.
    PRINCIPAL_HASH_SECRET: { type: 'string', minLength: 16 },
    CACHE_ERROR_LOG_MS: { type: 'integer', default: 60000, minimum: 0 },
    CACHE_STATS_LOG_MS: { type: 'integer', default: 0, minimum: 0, maximum: MAX_TIMER_MS },
    // operations
    METRICS_ENABLED: { type: 'boolean', default: true },
    // Their sum is one timer too (src/server.ts): checked in loadConfig.
    SHUTDOWN_DELAY_MS: { type: 'integer', default: 0, minimum: 0, maximum: MAX_TIMER_MS },
    SHUTDOWN_GRACE_MS: { type: 'integer', default: 10000, minimum: 1, maximum: MAX_TIMER_MS },
    HEAP_GROWING_PERCENT: { type: 'integer', default: 50, minimum: 0, maximum: 400 },
    ASYNC_BIND_FIX: { type: 'boolean', default: true },
    SIM_PORT: { type: 'integer', default: 50051, minimum: 0, maximum: 65535 },
    SIM_TOKENS: { type: 'string', pattern: '^[^=,\\s]+=[0-9a-fA-F-]{36}(,[^=,\\s]+=[0-9a-fA-F-]{36})*$' },
    SIM_SEED: { type: 'boolean', default: true },
    SIM_JOB_MS: { type: 'integer', default: 3000, minimum: 0, maximum: MAX_TIMER_MS },
    // production protections
    GRAPHQL_MAX_DEPTH: { type: 'integer', default: 10, minimum: 1 },
    GRAPHQL_MAX_ALIASES: { type: 'integer', default: 50, minimum: 0 },
    GRAPHQL_MAX_TOKENS: { type: 'integer', default: 2000, minimum: 1 },
    GRAPHQL_MAX_QUERY_BYTES: { type: 'integer', default: 32768, minimum: 1 },
    GRAPHQL_DOCUMENT_CACHE: { type: 'integer', default: 32, minimum: 1 },
    GRAPHQL_MAX_COST: { type: 'integer', default: 20000, minimum: 1 },
    GRAPHQL_MAX_BATCH: { type: 'integer', default: 10, minimum: 1 },
    GRAPHQL_MAX_UPSTREAM_CALLS: { type: 'integer', default: 100, minimum: 1 },
    GRAPHQL_MAX_NODES: { type: 'integer', default: 10000, minimum: 1 },
    GRAPHQL_HIDE_SUGGESTIONS: { type: 'boolean', default: false },
    GRAPHQL_INTROSPECTION: { type: 'boolean', default: true },
    CSRF_PREVENTION: { type: 'boolean', default: true },
    // Exact origins (scheme://host[:port], no path or trailing slash), or `*`.
    CORS_ORIGINS: { type: 'string', pattern: '^(\\*|https?://[^/,\\s]+(\\s*,\\s*https?://[^/,\\s]+)*)$' },
    BODY_LIMIT_BYTES: { type: 'integer', default: 1048576, minimum: 1 },
    MAX_HEADER_BYTES: { type: 'integer', default: 16384, minimum: 1024 },
    REQUEST_TIMEOUT_MS: { type: 'integer', default: 30000, minimum: 0, maximum: MAX_TIMER_MS },
    TRUST_PROXY: { type: 'integer', default: 0, minimum: 0 },
    RATE_LIMIT_MAX: { type: 'integer', default: 600, minimum: 0 },
    RATE_LIMIT_IP_MAX: { type: 'integer', minimum: 0 },
    RATE_LIMIT_WINDOW_MS: { type: 'integer', default: 60000, minimum: 1 },
    RATE_LIMIT_SHARED: { type: 'boolean', default: false },
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: { type: 'integer', default: 1000, minimum: 0 },
    PRESSURE_MAX_HEAP_RATIO: { type: 'number', default: 0.9, minimum: 0, maximum: 1 },
    UPSTREAM_MAX_CONCURRENCY: { type: 'integer', default: 64, minimum: 1 },
    UPSTREAM_QUEUE_TIMEOUT_MS: { type: 'integer', default: 200, minimum: 0, maximum: MAX_TIMER_MS },
    SECURITY_HEADERS: { type: 'boolean', default: true }
  }
} as const

/** What a variable with a pattern must look like, in words (never quoting the value: it may hold a password). */
const PATTERN_HINTS: Readonly<Record<string, string>> = {
  VBASE_UPSTREAM: 'host:port or [IPv6]:port, e.g. vbase.internal:443',
  CACHE_REDIS_URL: 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0',
  CACHE_REDIS_PREFIX: 'a key prefix without spaces',
  SIM_TOKENS: 'token=organization-UUID pairs, comma-separated',
  CORS_ORIGINS: '* or comma-separated origins, scheme and host only, e.g. https://app.example.com'
}

/** env-schema's error: ajv's text, and ajv's errors. */
interface SchemaError extends Error {
  errors?: Array<{ instancePath: string, keyword: string, message?: string, params: { allowedValues?: unknown[] } }>
}

/** The schema's complaint in words a user can act on: allowed values listed, patterns described. */
function schemaFailure (err: SchemaError): string {
  const first = err.errors?.[0]
  const name = first?.instancePath.replace(/^\//, '') ?? ''
  if (first === undefined || name === '') return err.message.replace(/env\//g, '')
  if (first.keyword === 'enum') return `${name} must be one of: ${(first.params.allowedValues ?? []).join(', ')}`
  if (first.keyword === 'pattern' && PATTERN_HINTS[name] !== undefined) return `${name} must be ${PATTERN_HINTS[name]}`
  return `${name} ${first.message ?? 'is invalid'}`
}

/** The JSON schema of the environment, for tests that check docs against it. */
export const CONFIG_SCHEMA = schema

/**
 * loadConfig for a process's entry: an invalid setting prints one line,
 * `<program>: <message>`, and exits 1. Before any logger (LOG_LEVEL itself
 * may be what is wrong), and no stack: the message names the variable.
 */
export function loadConfigOrExit (program: string): Config {
  try {
    return loadConfig()
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'VBGW_INVALID_CONFIG') throw err
    process.stderr.write(`${program}: ${(err as Error).message}\n`)
    process.exit(1)
  }
}

/**
 * Validate an environment. With no argument, reads `process.env` and `.env`.
 * Throws VBGW_INVALID_CONFIG naming the variable at fault.
 */
export function loadConfig (env?: Record<string, string | undefined>): Config {
  let config: Config
  if (env === undefined) dotenv.config({ quiet: true })
  // An empty value means unset, as compose files and shells often write it.
  const data = Object.fromEntries(Object.entries(env ?? process.env).filter(([, v]) => v !== ''))
  try {
    // env: false, or env-schema merges process.env under `data`, and its empty values come back.
    config = envSchema<Config>({ schema, data, env: false })
  } catch (err) {
    throw new errors.InvalidConfig(schemaFailure(err as SchemaError))
  }
  if ((config.VBASE_TLS_INSECURE || config.VBASE_TLS_CA !== undefined) && !config.VBASE_TLS) {
    throw new errors.InvalidConfig('VBASE_TLS_INSECURE and VBASE_TLS_CA need VBASE_TLS=true')
  }
  if (config.RATE_LIMIT_SHARED && config.CACHE_REDIS_URL === undefined) {
    throw new errors.InvalidConfig('RATE_LIMIT_SHARED needs CACHE_REDIS_URL (the counters are shared through that Redis)')
  }
  if (config.VBASE_TLS && config.VBASE_UPSTREAM === undefined) {
    throw new errors.InvalidConfig('VBASE_TLS needs VBASE_UPSTREAM (the embedded simulator speaks plaintext)')
  }
  if (config.SHUTDOWN_DELAY_MS + config.SHUTDOWN_GRACE_MS > MAX_TIMER_MS) {
    throw new errors.InvalidConfig(`SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS must not exceed ${MAX_TIMER_MS} (one timer waits for both)`)
  }
  if (config.VBASE_UPSTREAM !== undefined) parseUpstream(config.VBASE_UPSTREAM)
  if (config.VBASE_TLS_CA !== undefined) parseTlsCa(config.VBASE_TLS_CA)
  if (config.CACHE_REDIS_URL !== undefined) parseRedisUrl(config.CACHE_REDIS_URL)
  // The schema checks the shape; an organization that is no UUID, or a token given twice, is caught here, not at the simulator's start.
  if (config.SIM_TOKENS !== undefined) parseTokens(config.SIM_TOKENS)
  return config
}

/** A TCP port, 1 to 65535, from its digits. */
function isPort (digits: string): boolean {
  return /^[0-9]{1,5}$/.test(digits) && Number(digits) >= 1 && Number(digits) <= 65535
}

/** VBASE_UPSTREAM, already `host:port` or `[IPv6]:port` by the schema: grpc-js would keep retrying an impossible port. */
function parseUpstream (address: string): void {
  if (!isPort(address.slice(address.lastIndexOf(':') + 1))) {
    throw new errors.InvalidConfig('VBASE_UPSTREAM port must be between 1 and 65535')
  }
}

const UNREADABLE: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a directory, not a file'
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g

/**
 * VBASE_TLS_CA must be readable now, and hold certificates: the upstream
 * client reads it at start, where a failure would not name the variable, and
 * Node takes a file with no certificate in it (a key, a DER file, a typo'd
 * PEM) without a word. Every call would then fail certificate verification.
 */
function parseTlsCa (file: string): void {
  let text: string
  try {
    text = readFileSync(file, 'latin1')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
    const reason = UNREADABLE[code] ?? code
    // A path is not a secret: showing it saves a guess at which one was read.
    throw new errors.InvalidConfig(`VBASE_TLS_CA cannot be read: ${file}: ${reason}`)
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) {
    throw new errors.InvalidConfig(`VBASE_TLS_CA holds no PEM certificate (-----BEGIN CERTIFICATE----- block): ${file}`)
  }
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block)
    } catch {
      throw new errors.InvalidConfig(`VBASE_TLS_CA: certificate ${i + 1} of ${blocks.length} cannot be parsed: ${file}`)
    }
  })
}

const REDIS_URL_HINT = 'percent-encode special characters in the user name and password (/ as %2F, + as %2B, # as %23, ? as %3F, @ as %40, % as %25)'

/**
 * CACHE_REDIS_URL, parsed as ioredis 5 parses it (`new URL()`, then
 * `decodeURIComponent` on the user name and password, the path as the
 * database index, `?db=` and `?port=` as fallbacks), so that a bad URL stops
 * the boot here, naming the variable, instead of in ioredis with an error
 * that quotes the whole URL, password included. No message quotes any part
 * of the value: an unencoded `/`, `?` or `#` moves part of the password into
 * the host, path or fragment.
 */
function parseRedisUrl (value: string): void {
  const fail = (what: string): never => { throw new errors.InvalidConfig(`CACHE_REDIS_URL ${what}`) }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return fail(`is not a valid URL; ${REDIS_URL_HINT}, and give a port from 1 to 65535`)
  }
  try {
    decodeURIComponent(url.username)
    decodeURIComponent(url.password)
  } catch {
    fail('has a malformed %-escape in the user name or password; write % itself as %25')
  }
  // An unencoded delimiter in the password leaves the rest of the authority
  // (`...@host`) in the path, query or fragment, and its first part as the host.
  // A query value may hold an @ (ioredis reads ?password= and the like), a query key may not.
  if (url.hostname === '' || url.hash !== '' || url.pathname.includes('@') || [...url.searchParams.keys()].some((k) => k.includes('@'))) {
    fail(`does not have the form redis://[[user]:password@]host[:port][/db]; ${REDIS_URL_HINT}`)
  }
  const port = url.port !== '' ? url.port : url.searchParams.get('port')
  if (port !== null && !isPort(port)) fail('port must be between 1 and 65535')
  const db = url.pathname.length > 1 ? url.pathname.slice(1) : url.searchParams.get('db')
  if (db !== null && !/^[0-9]+$/.test(db)) fail('database index (the path, as in /0, or ?db=) must be a number')
}
