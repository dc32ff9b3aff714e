/**
 * The targets, judged from one run's measurements: ratios between
 * rows of the same run, absolute bounds for latency and memory. A missed
 * target says by how much.
 */
import type { BenchResult, Measurement } from './bench.js'

/** One target's verdict. */
export interface TargetResult {
  id: string
  text: string
  /** The measured value, formatted. */
  measured: string
  /** Undefined when the run could not measure it (e.g. no Redis). */
  met: boolean | undefined
  /** For a miss: by how much. */
  miss?: string
}

/** A target judged from the rows of one run. */
export type Check =
  | { kind: 'min-ratio', id: string, text: string, of: string, over: string, goal: number }
  | { kind: 'max-p50-gap', id: string, text: string, of: string, over: string, goalMs: number }
  | { kind: 'max-calls', id: string, text: string, of: string, goal: number }

/** The targets judged from rows of one run. */
export const CHECKS: readonly Check[] = [
  { kind: 'min-ratio', id: 'A1', text: 'A. GraphQL uncached throughput >= 0.6x direct', of: 'A-graphql', over: 'direct', goal: 0.6 },
  { kind: 'min-ratio', id: 'A2', text: 'A. REST uncached throughput >= 0.75x direct', of: 'A-rest', over: 'direct', goal: 0.75 },
  { kind: 'max-p50-gap', id: 'A3', text: 'A. GraphQL p50 at c=1 within 0.5 ms of direct', of: 'A-graphql-c1', over: 'direct-c1', goalMs: 0.5 },
  { kind: 'max-p50-gap', id: 'A4', text: 'A. REST p50 at c=1 within 0.5 ms of direct', of: 'A-rest-c1', over: 'direct-c1', goalMs: 0.5 },
  { kind: 'min-ratio', id: 'B1', text: 'B. memory-cached >= 3x uncached (REST)', of: 'B-memory', over: 'A-rest', goal: 3 },
  { kind: 'min-ratio', id: 'B2', text: 'B. memory-cached >= 0.5x bare', of: 'B-memory', over: 'bare-rest', goal: 0.5 },
  { kind: 'min-ratio', id: 'B3', text: 'B. Redis-cached >= 0.6x memory-cached', of: 'B-redis', over: 'B-memory', goal: 0.6 },
  { kind: 'max-calls', id: 'C1', text: 'C. at most 20 upstream calls per fan-out request', of: 'C-loaders', goal: 20 },
  { kind: 'min-ratio', id: 'C2', text: 'C. fan-out with loaders >= 4x naive resolvers', of: 'C-loaders', over: 'C-naive', goal: 4 },
  { kind: 'min-ratio', id: 'D2', text: 'D. mixed throughput >= 0.7x B (memory)', of: 'D-mixed', over: 'B-memory', goal: 0.7 }
]

/** RSS bound of scenario E. */
export const MAX_RSS_MB = 150
/** Largest RSS change between E's early and final samples. */
export const MAX_RSS_DRIFT = 0.10

const pct = (x: number, digits = 0): string => `${(x * 100).toFixed(digits)}%`
/**
 * Digits to show a value judged against a goal: two, or three when the two
 * are within 0.005 of each other, so a miss never reads "0.70x, short by
 * 0.00x" and a value on the line shows which side it is on.
 */
export const digitsNear = (value: number, goal: number): number => Math.abs(value - goal) < 0.005 ? 3 : 2

function judge (check: Check, rows: Map<string, Measurement>): TargetResult {
  const base = { id: check.id, text: check.text }
  const of = rows.get(check.of)
  if (check.kind === 'max-calls') {
    if (of?.callsPerReq === undefined) return { ...base, measured: 'not measured', met: undefined }
    const met = of.callsPerReq <= check.goal
    return { ...base, measured: `${of.callsPerReq.toFixed(1)} calls/request`, met, ...(met ? {} : { miss: `${(of.callsPerReq - check.goal).toFixed(1)} calls over` }) }
  }
  const over = rows.get(check.over)
  if (of === undefined || over === undefined || !(of.rps > 0) || !(over.rps > 0)) return { ...base, measured: 'not measured', met: undefined }
  if (check.kind === 'max-p50-gap') {
    const gap = of.p50 - over.p50
    if (!Number.isFinite(gap)) return { ...base, measured: 'not measured', met: undefined }
    const met = gap <= check.goalMs
    const d = digitsNear(gap, check.goalMs)
    return { ...base, measured: `${gap >= 0 ? '+' : ''}${gap.toFixed(d)} ms (${of.p50.toFixed(2)} vs ${over.p50.toFixed(2)})`, met, ...(met ? {} : { miss: `${(gap - check.goalMs).toFixed(d)} ms over` }) }
  }
  const ratio = of.rps / over.rps
  const met = ratio >= check.goal
  const d = digitsNear(ratio, check.goal)
  return {
    ...base,
    measured: `${ratio.toFixed(d)}x`,
    met,
    ...(met ? {} : { miss: `short by ${(check.goal - ratio).toFixed(d)}x (${pct(1 - ratio / check.goal, d === 3 ? 1 : 0)} below the target)` })
  }
}

/** Judge every target of a run. */
export function judgeTargets (result: Pick<BenchResult, 'rows' | 'mixed' | 'memory'>): TargetResult[] {
  const rows = new Map(result.rows.map((r) => [r.id, r]))
  const out = CHECKS.map((c) => judge(c, rows))
  const { mixed, memory } = result
  // D1 before D2, in the order.
  const d1: TargetResult = mixed === undefined || mixed.checked === 0
    ? { id: 'D1', text: 'D. zero stale reads after a completed write', measured: 'not measured', met: undefined }
    : {
        id: 'D1',
        text: 'D. zero stale reads after a completed write',
        measured: `${mixed.stale} stale of ${mixed.checked} checked reads (${mixed.writes} writes)`,
        met: mixed.stale === 0,
        ...(mixed.stale === 0 ? {} : { miss: `${mixed.stale} stale reads` })
      }
  out.splice(out.findIndex((t) => t.id === 'D2'), 0, d1)
  if (memory === undefined) {
    out.push({ id: 'E1', text: `E. RSS after B <= ${MAX_RSS_MB} MB`, measured: 'not measured', met: undefined })
    out.push({ id: 'E2', text: 'E. final RSS within 10% of the early one', measured: 'not measured', met: undefined })
  } else {
    const e1 = memory.finalMb <= MAX_RSS_MB
    out.push({
      id: 'E1',
      text: `E. RSS after ${memory.finalAtS.toFixed(0)} s of B <= ${MAX_RSS_MB} MB`,
      measured: `${memory.finalMb.toFixed(1)} MB (max ${memory.maxMb.toFixed(1)})`,
      met: e1,
      ...(e1 ? {} : { miss: `${(memory.finalMb - MAX_RSS_MB).toFixed(1)} MB over` })
    })
    const drift = (memory.finalMb - memory.earlyMb) / memory.earlyMb
    const e2 = Math.abs(drift) <= MAX_RSS_DRIFT
    out.push({
      id: 'E2',
      text: `E. RSS at ${memory.finalAtS.toFixed(0)} s within 10% of RSS at ${memory.earlyAtS.toFixed(0)} s`,
      measured: `${drift >= 0 ? '+' : ''}${(drift * 100).toFixed(1)}% (${memory.earlyMb.toFixed(1)} -> ${memory.finalMb.toFixed(1)} MB)`,
      met: e2,
      ...(e2 ? {} : { miss: `${((Math.abs(drift) - MAX_RSS_DRIFT) * 100).toFixed(2)} points over` })
    })
  }
  return out
}
