/**
 * How long and how hard each mode runs. `full` is the benchmark proper;
 * `quick` is one short run per scenario for development; `smoke` is a few
 * dozen requests per scenario, for the CI smoke test: it proves every
 * scenario runs, not how fast. The full and quick modes time their runs;
 * the smoke mode counts them (autocannon's `amount`, which ends on the
 * first 100 ms sampling tick after the last response), so that a run
 * answers something however loaded the host is, and leaves no request in
 * flight behind it.
 */

import type { FirstWarmup } from './warmup.js'

export type ModeName = 'full' | 'quick' | 'smoke'

/** Durations and counts of one mode. */
export interface Mode {
  name: ModeName
  /** Connections of the throughput scenarios (and the direct floor's concurrency). */
  connections: number
  /** One warm-up per scenario (none when 0 ms or 0 requests), then `runs` measured runs; the median is reported. */
  warmup: Budget
  /** A process's first scenario warms up longer, by requests served (bench/lib/warmup.ts), after a timed warm-up; none without. */
  firstWarmup?: FirstWarmup
  run: Budget
  runs: number
  /** Sequential requests over which upstream calls per request are counted. */
  exactRequests: number
  /**
   * Scenario D's runs (not its warm-up), when not `run`: the smoke mode
   * sends enough requests for D to write and judge reads however slow or
   * busy the host is (timed, a run of a loaded CI host did neither).
   */
  mixedRun?: Budget
  /**
   * Scenario C's warm-up and runs, when not `warmup` and `run`: a naive
   * fan-out request makes 140 upstream calls, so the smoke mode sends a
   * few (one per connection) and no warm-up.
   */
  fanout?: { warmup: Budget, run: Budget }
  /**
   * Serve scenario C's naive schema from the gateway itself (with the naive
   * gateway's upstream queue wait) instead of a gateway of its own: one
   * process fewer to start. C's calls are counted by request id, and a
   * scenario's CPU is read while it runs alone, so either way holds.
   */
  naiveOnGateway?: boolean
  /** Gateway environment the mode adds (the report's "Run:" line names it). */
  gatewayEnv?: Readonly<Record<string, string>>
  /** Scenario E: how long B runs, when RSS is compared, and whether on a fresh gateway. */
  memory: { total: Budget, earlyAtMs: number, freshGateway: boolean }
}

/** A run lasts `ms`, or until `amount` responses (smoke). */
export type Budget = { ms: number, amount?: undefined } | { amount: number, ms?: undefined }

export const MODES: Record<ModeName, Mode> = {
  full: {
    name: 'full',
    connections: 10,
    warmup: { ms: 2_000 },
    firstWarmup: { sliceMs: 1_000, requests: 6_000, maxMs: 10_000 },
    run: { ms: 4_000 },
    runs: 3,
    exactRequests: 10,
    memory: { total: { ms: 60_000 }, earlyAtMs: 10_000, freshGateway: true }
  },
  quick: {
    name: 'quick',
    connections: 10,
    warmup: { ms: 500 },
    run: { ms: 2_000 },
    runs: 1,
    exactRequests: 10,
    memory: { total: { ms: 12_000 }, earlyAtMs: 2_000, freshGateway: true }
  },
  smoke: {
    name: 'smoke',
    connections: 4,
    // Counted: on a loaded CI host, a gateway's first timed 250 ms run once
    // answered none, and a cold naive fan-out request outlasted every
    // 250 ms warm-up slice (5 s of warm-up answered nothing).
    warmup: { amount: 8 },
    run: { amount: 40 },
    // 20 writes, one per service, each followed by judged reads of its list.
    mixedRun: { amount: 400 },
    fanout: { warmup: { amount: 0 }, run: { amount: 4 } },
    naiveOnGateway: true,
    // No load shedding: on a starved CI host a cold gateway's event loop
    // lagged past its 1 s limit and it shed a check request. The smoke run
    // proves the scenarios run, not how the gateway copes with overload.
    gatewayEnv: { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' },
    runs: 1,
    exactRequests: 1,
    memory: { total: { ms: 300 }, earlyAtMs: 100, freshGateway: false }
  }
}
