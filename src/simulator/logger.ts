/**
 * The little the simulator needs of a logger; a pino logger (or child) fits.
 */

/** A pino-compatible logger: structured object first, message second. */
export interface SimulatorLogger {
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
}

/** The default: the embedded simulator stays quiet unless given a logger. */
export const silentLogger: SimulatorLogger = {
  info () {},
  warn () {}
}
