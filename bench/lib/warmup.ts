/**
 * A process's first warm-up, long enough for V8. A process's first
 * scenario runs on code V8 has not optimized yet, and optimization follows
 * how much code has run, not for how long: the gateway, with much more
 * code than a floor, was still climbing after the fixed 2 s warm-up when a
 * c=1 scenario ran on its own (`--only`): 432, then 586, then 725 req/s
 * over its three runs. So the first scenario of each process warms up in
 * slices until it has served a number of requests, within a cap; the
 * process's later scenarios warm up as before.
 */

/** The first warm-up's settings. */
export interface FirstWarmup {
  /** Length of each extra slice, ms. */
  sliceMs: number
  /** Requests served, the mode's warm-up included, after which the process counts as warm. */
  requests: number
  /** Most time spent warming up, ms, the mode's warm-up included. */
  maxMs: number
}

/** What a warm-up did. */
export interface WarmedUp {
  /** Time spent warming up, ms. */
  ms: number
  /** Requests served meanwhile. */
  requests: number
}

/**
 * Run the mode's warm-up (`firstMs`); with `first`, then slices until
 * `first.requests` have been served or `first.maxMs` has passed. `run`
 * runs the scenario for a time and answers how many requests it served.
 */
export async function warmUp (run: (ms: number) => Promise<number>, firstMs: number, first: FirstWarmup | undefined): Promise<WarmedUp> {
  let requests = await run(firstMs)
  let ms = firstMs
  while (first !== undefined && requests < first.requests && ms + first.sliceMs <= first.maxMs) {
    requests += await run(first.sliceMs)
    ms += first.sliceMs
  }
  return { ms, requests }
}
