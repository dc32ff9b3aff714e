/**
 * The `Grpc-Timeout` request header, in gRPC's wire format (up to 8 digits
 * and a unit: H, M, S, m, u, n), as grpc-gateway accepts it. The value only
 * ever shortens the call: it is capped at UPSTREAM_TIMEOUT_MS here, where the
 * call context is built, since every timer on the way (the upstream deadline,
 * a wait on another caller's pending read) counts from it, and Node fires a
 * timer over 2^31-1 ms after 1 ms: 8 digits of hours are 3.6e11 ms.
 */
import { errors } from '../errors.js'

/** Milliseconds per unit, as [numerator, denominator] so sub-millisecond units stay exact. */
const UNITS: Record<string, [number, number]> = {
  H: [3_600_000, 1],
  M: [60_000, 1],
  S: [1_000, 1],
  m: [1, 1],
  u: [1, 1_000],
  n: [1, 1_000_000]
}

const FORMAT = /^(\d{1,8})([HMSmun])$/

/**
 * The header's value in whole milliseconds (rounded up, so `100u` is 1 ms,
 * not an instant failure), at most `maxMs`, or undefined when absent. A
 * malformed value is INVALID_ARGUMENT: silently ignoring it would hide a
 * client's mistake.
 */
export function parseGrpcTimeout (header: string | string[] | undefined, maxMs = Number.MAX_SAFE_INTEGER): number | undefined {
  if (header === undefined) return undefined
  const m = typeof header === 'string' ? FORMAT.exec(header.trim()) : null
  if (m === null) {
    throw new errors.InvalidArgument('Grpc-Timeout must be 1 to 8 digits and a unit (H, M, S, m, u or n), e.g. "500m" or "2S"')
  }
  const [mul, div] = UNITS[m[2] as string] as [number, number]
  return Math.min(Math.ceil(Number(m[1]) * mul / div), maxMs)
}
