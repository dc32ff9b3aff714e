/**
 * Scenario E: the gateway's RSS, sampled while B runs on it.
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Child, Usage } from './ipc.js'
import type { LoadRun } from './load.js'
import type { Mode } from './modes.js'

/** Scenario E's samples. */
export interface MemoryResult {
  /** RSS at `earlyAtS`, MB. */
  earlyMb: number
  earlyAtS: number
  /** Whether the gateway was started for E alone. */
  fresh: boolean
  /** RSS at the end, MB. */
  finalMb: number
  finalAtS: number
  maxMb: number
  rps: number
  failures: number
}

/** RSS in MB. */
export const mb = (bytes: number): number => bytes / 1024 / 1024

/** Sample the gateway's RSS every second (and at the mode's early mark) while `load` runs. */
export async function measureMemory (gw: Child, mode: Mode, load: Promise<LoadRun>): Promise<MemoryResult> {
  const t0 = performance.now()
  const samples: Array<{ atS: number, mb: number }> = []
  let done = false
  const sample = async (): Promise<void> => {
    const u = await gw.call<Usage>('usage')
    samples.push({ atS: (performance.now() - t0) / 1000, mb: mb(u.rssBytes) })
  }
  const sampler = (async () => {
    await sample()
    while (!done) {
      await sleep(Math.min(1000, Math.max(50, mode.memory.earlyAtMs || 1000)))
      if (!done) await sample()
    }
  })()
  const r = await load.finally(() => { done = true })
  await sampler
  await sample()
  const earlyAtS = mode.memory.earlyAtMs / 1000
  const early = samples.reduce((best, s) => Math.abs(s.atS - earlyAtS) < Math.abs(best.atS - earlyAtS) ? s : best)
  const final = samples.at(-1) as { atS: number, mb: number }
  return {
    earlyMb: early.mb,
    earlyAtS: early.atS,
    fresh: mode.memory.freshGateway,
    finalMb: final.mb,
    finalAtS: final.atS,
    maxMb: Math.max(...samples.map((s) => s.mb)),
    rps: r.rps,
    failures: r.non2xx + r.errors
  }
}
