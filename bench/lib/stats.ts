/**
 * The few statistics the bench needs, computed the same way for every
 * scenario and floor: nearest-rank percentiles over every recorded
 * latency (fractional ms, not autocannon's whole-ms histogram), medians.
 */

/** A growable list of latencies in ms. */
export class Latencies {
  private values = new Float64Array(4096)
  private size = 0

  add (ms: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.size++] = ms
  }

  get count (): number {
    return this.size
  }

  /** Nearest-rank percentiles, e.g. `percentiles([50, 99])`; NaN when empty. */
  percentiles (ps: number[]): number[] {
    const sorted = this.values.slice(0, this.size).sort()
    return ps.map((p) => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))] as number)
  }
}

/** Median of a non-empty list (mean of the middle two for an even count); NaN when empty. */
export function median (values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (finite.length === 0) return NaN
  const mid = Math.floor(finite.length / 2)
  return finite.length % 2 === 1 ? finite[mid] as number : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2
}

/** What one load connection served in a run: responses, and when its last one came (ms, the run's clock). */
export interface ConnectionTally {
  completed: number
  lastAtMs: number
}

/**
 * Throughput of a closed-loop run (each connection sends its next request
 * as its last response comes), in requests per second: each connection's
 * responses over the time up to its own last one, pooled, times the
 * connections. Completed responses over the whole run would not count the
 * request each connection has in flight when a timed run stops, and a
 * request that takes a sizable part of the run is undercounted by up to
 * one per connection: a naive fan-out request of 1.4 s, in runs of 4 s,
 * read at 5 req/s where the connections were serving 7. Connections that
 * answered nothing are left out (their first request outlasted the run);
 * NaN when none answered.
 */
export function closedLoopRate (tallies: Iterable<ConnectionTally>, startMs: number, connections: number): number {
  let completed = 0
  let busyMs = 0
  for (const t of tallies) {
    if (t.completed === 0) continue
    completed += t.completed
    busyMs += t.lastAtMs - startMs
  }
  return completed === 0 || busyMs <= 0 ? NaN : connections * completed / (busyMs / 1000)
}
