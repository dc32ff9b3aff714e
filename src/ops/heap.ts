/**
 * V8 heap sizing, set once at process start. Under load V8 lets the old
 * generation grow to two to four times what its last full GC kept before it
 * collects again: the gateway's live heap stays near 30-40 MB, yet its RSS
 * reached 185 MB in the benchmark's cached scenario. A fixed growth factor
 * keeps RSS nearer the live data; the cost is more frequent full GCs, which
 * is small while requests die young. At 50% (the default) RSS under that
 * load stays near 132 MB, within 6% of itself from 10 s to 60 s (at 100%,
 * 137-148 MB and 8-16% of growth); 50% once cost 5-7% more CPU per uncached
 * read, when every upstream call was promoted (src/rest/routes.ts,
 * Disconnect); since, no difference the benchmark can see (bench/RESULTS.md).
 */
import v8 from 'node:v8'

/**
 * Apply HEAP_GROWING_PERCENT: after each full GC, the next one comes once
 * the heap has grown by this percent. 0 leaves V8's heuristic alone. The
 * flag is read at each GC, so setting it at run time takes effect.
 */
export function tuneHeap (growingPercent: number, setFlags: (flags: string) => void = v8.setFlagsFromString): void {
  if (!Number.isInteger(growingPercent) || growingPercent < 0) throw new RangeError(`heap growing percent must be a non-negative integer, got ${growingPercent}`)
  if (growingPercent === 0) return
  setFlags(`--heap-growing-percent=${growingPercent}`)
}
