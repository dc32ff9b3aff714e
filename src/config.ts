/**
 * The environment, read in one place: validated once at start against a
 * schema, typed, with defaults. `.env.example` documents every variable.
 * No other module reads `process.env`.
 */
import dotenv from 'dotenv'
import envSchema from 'env-schema'
import { errors } from './errors.js'

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
  /** REST JSON field names: proto (snake_case, as the reference) or json (lowerCamelCase). */
  REST_JSON_NAMES: 'proto' | 'json'
  /** TTL of a cached list. */
  CACHE_TTL_MS: number
  /** TTL of a cached list holding a PENDING or RUNNING job (capped by CACHE_TTL_MS). */
  CACHE_PENDING_TTL_MS: number
  /** Most entries of the in-memory cache (LRU). */
  CACHE_MAX_ENTRIES: number
  /** Shared cache in Redis instead of memory; a database index in the URL is honored. */
  CACHE_REDIS_URL?: string
  /** Prefix of every Redis key the cache writes. */
  CACHE_REDIS_PREFIX: string
  /** Longest wait for one Redis command before the read bypasses the cache. */
  CACHE_REDIS_TIMEOUT_MS: number
  /** At most one "cache storage unavailable" log line per this many ms. */
  CACHE_ERROR_LOG_MS: number
  /** Interval of the "cache stats" log line; 0 turns it off. */
  CACHE_STATS_LOG_MS: number
  SIM_PORT: number
  SIM_TOKENS?: string
  SIM_SEED: boolean
  SIM_JOB_MS: number
}

const schema = {
  type: 'object',
  required: [],
  properties: {
    HOST: { type: 'string', default: '127.0.0.1', minLength: 1 },
    PORT: { type: 'integer', default: 4000, minimum: 0, maximum: 65535 },
    LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    VBASE_UPSTREAM: { type: 'string', pattern: '^[^\\s:]+:[0-9]{1,5}$' },
    VBASE_TLS: { type: 'boolean', default: false },
    VBASE_TLS_INSECURE: { type: 'boolean', default: false },
    VBASE_TLS_CA: { type: 'string', minLength: 1 },
    UPSTREAM_TIMEOUT_MS: { type: 'integer', default: 5000, minimum: 1 },
    UPSTREAM_READ_ATTEMPTS: { type: 'integer', default: 3, minimum: 1, maximum: 10 },
    REST_JSON_NAMES: { type: 'string', enum: ['proto', 'json'], default: 'proto' },
    CACHE_TTL_MS: { type: 'integer', default: 30000, minimum: 0 },
    CACHE_PENDING_TTL_MS: { type: 'integer', default: 2000, minimum: 0 },
    CACHE_MAX_ENTRIES: { type: 'integer', default: 10000, minimum: 1 },
    CACHE_REDIS_URL: { type: 'string', pattern: '^rediss?://' },
    CACHE_REDIS_PREFIX: { type: 'string', default: 'vbgw:', pattern: '^\\S*$' },
    CACHE_REDIS_TIMEOUT_MS: { type: 'integer', default: 100, minimum: 1 },
    CACHE_ERROR_LOG_MS: { type: 'integer', default: 60000, minimum: 0 },
    CACHE_STATS_LOG_MS: { type: 'integer', default: 60000, minimum: 0 },
    SIM_PORT: { type: 'integer', default: 50051, minimum: 0, maximum: 65535 },
    SIM_TOKENS: { type: 'string', pattern: '^[^=,\\s]+=[0-9a-fA-F-]{36}(,[^=,\\s]+=[0-9a-fA-F-]{36})*$' },
    SIM_SEED: { type: 'boolean', default: true },
    SIM_JOB_MS: { type: 'integer', default: 3000, minimum: 0 }
  }
} as const

/** The JSON schema of the environment, for tests that check docs against it. */
export const CONFIG_SCHEMA = schema

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
    config = envSchema<Config>({ schema, data })
  } catch (err) {
    throw new errors.InvalidConfig((err as Error).message.replace(/env\//g, ''))
  }
  if ((config.VBASE_TLS_INSECURE || config.VBASE_TLS_CA !== undefined) && !config.VBASE_TLS) {
    throw new errors.InvalidConfig('VBASE_TLS_INSECURE and VBASE_TLS_CA need VBASE_TLS=true')
  }
  if (config.VBASE_TLS && config.VBASE_UPSTREAM === undefined) {
    throw new errors.InvalidConfig('VBASE_TLS needs VBASE_UPSTREAM (the embedded simulator speaks plaintext)')
  }
  return config
}
