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
