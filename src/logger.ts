/**
 * The process logger: pino JSON, pretty only on a TTY, and secrets redacted
 * wherever a header bag or upstream metadata may be logged.
 */
import pino, { type DestinationStream, type Logger } from 'pino'
import type { Config } from './config.js'

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'metadata.authorization',
  'ctx.headers.authorization',
  'authorization',
  'cookie',
  'token'
]

/** Build the logger; tests pass a destination to capture output. */
export function createLogger (config: Pick<Config, 'LOG_LEVEL'>, destination?: DestinationStream, pretty = process.stdout.isTTY): Logger {
  const options = { level: config.LOG_LEVEL, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }
  if (destination !== undefined) return pino(options, destination)
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } })
  return pino(options)
}
