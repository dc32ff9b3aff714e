/**
 * How long and how hard each mode runs. `full` is the benchmark proper;
 * `quick` is one short run per scenario for development; `smoke` is a
 * fraction of a second per scenario (a few hundred requests), for the CI
 * smoke test: it proves every scenario runs, not how fast. Runs are timed,
 * not counted: autocannon's `amount` mode ends on a one-second tick.
 */

import type { FirstWarmup } from './warmup.js'

export type ModeName = 'full' | 'quick' | 'smoke'

/** Durations and counts of one mode. */
export interface Mode {
  name: ModeName
  /** Connections of the throughput scenarios (and the direct floor's concurrency). */
  connections: number
  /** One warm-up per scenario (none when 0 ms), then `runs` measured runs; the median is reported. */
  warmup: Budget
  /** A process's first scenario warms up longer, by requests served (bench/lib/warmup.ts); none without. */
  firstWarmup?: FirstWarmup
  run: Budget
  runs: number
  /** Sequential requests over which upstream calls per request are counted. */
  exactRequests: number
  /**
   * Scenario D's runs, when not `run`: the smoke mode counts requests, so
   * that D writes and judges reads however slow or busy the host is (timed,
   * a run of a loaded CI host did neither).
   */
  mixedRun?: Budget
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
    // Each process answers some requests before its first timed run: on a
    // loaded CI host, a gateway's first 250 ms run once answered none.
    warmup: { ms: 100 },
    firstWarmup: { sliceMs: 250, requests: 20, maxMs: 5_000 },
    run: { ms: 250 },
    // 20 writes, one per service, each followed by judged reads of its list.
    mixedRun: { amount: 400 },
    // No load shedding: on a starved CI host a cold gateway's event loop
    // lagged past its 1 s limit and it shed a check request. The smoke run
    // proves the scenarios run, not how the gateway copes with overload.
    gatewayEnv: { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' },
    runs: 1,
    exactRequests: 1,
    memory: { total: { ms: 600 }, earlyAtMs: 200, freshGateway: false }
  }
}
