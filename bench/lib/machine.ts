/**
 * The machine the bench runs on, and where each process goes. With taskset
 * and at least two usable CPUs the measured process (gateway, or the floor
 * standing in for it) gets a core of its own; the load generator and the
 * simulator share the other, or get one each with three or more. Without
 * taskset, or on one CPU, nothing is pinned and the report says so.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

/** What the report says about the machine. */
export interface Machine {
  nproc: number
  cpuModel: string
  node: string
  /** `git rev-parse --short HEAD`, with `+dirty` when the tree has changes; `unknown` outside git. */
  commit: string
  loadavg: string
}

/** CPUs for each role; undefined means unpinned. */
export interface CpuPlan {
  load?: number
  gateway?: number
  simulator?: number
  /** One line for the report. */
  description: string
}

function run (cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

/** CPUs this process may run on (Linux: Cpus_allowed_list; elsewhere all of them). */
export function allowedCpus (): number[] {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('Cpus_allowed_list:'))
    if (line !== undefined) {
      return line.split(':')[1]!.trim().split(',').flatMap((part) => {
        const [a, b] = part.split('-').map(Number) as [number, number | undefined]
        return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i)
      })
    }
  } catch {
    // not Linux
  }
  return os.cpus().map((_, i) => i)
}

export function describeMachine (): Machine {
  const cpuModel = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown'
    } catch {
      return os.cpus()[0]?.model ?? 'unknown'
    }
  })()
  const head = run('git', ['rev-parse', '--short', 'HEAD'])
  const dirty = head !== undefined && (run('git', ['status', '--porcelain', '--untracked-files=no']) ?? '') !== ''
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    node: process.version,
    commit: head === undefined ? 'unknown' : `${head}${dirty ? '+dirty' : ''}`,
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' ')
  }
}

/** Decide the pinning; `pin: false` turns it off. */
export function planCpus (pin: boolean): CpuPlan {
  const cpus = allowedCpus()
  const taskset = run('taskset', ['-p', String(process.pid)]) !== undefined
  if (!pin) return { description: 'unpinned (--no-pin)' }
  if (!taskset) return { description: 'unpinned (taskset not found)' }
  if (cpus.length < 2) return { description: `unpinned (one usable CPU: ${cpus.join(',')})` }
  const [load, gateway, third] = cpus as [number, number, number | undefined]
  const simulator = third ?? load
  return {
    load,
    gateway,
    simulator,
    description: `taskset: gateway (or the floor in its place) on CPU ${gateway}; autocannon on CPU ${load}; simulator on CPU ${simulator}; Redis unpinned`
  }
}

/** Pin this process (every thread) to one CPU; false when taskset refused. */
export function pinSelf (cpu: number): boolean {
  return run('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)]) !== undefined
}
