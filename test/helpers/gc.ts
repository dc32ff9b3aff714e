/** Forced garbage collections for the heap tests. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { nodeCommand, TS_LOADER } from './node-child.js'

/** A forced GC when the runtime allows one (the flag can be set at run time), else undefined. */
export function gcFunction (): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed !== undefined) return exposed
  try {
    setFlagsFromString('--expose-gc')
    return runInNewContext('gc') as () => void
  } catch {
    return undefined
  }
}

/**
 * Run `script` (an ES module body) in a child node that may force GCs, with
 * V8's allocation-site pretenuring off (it would otherwise allocate what a
 * round holds straight in the old generation after the first round); the
 * JSON it writes to stdout. In scope: `promotedMb(iteration)`, which runs
 * `iteration(held, i)` 2000 times, each beside 8 KB (`held`) dropped right
 * after, with young GCs only, and returns how many MB the old generation
 * grew by: what young GCs kept of what nothing holds any more.
 */
export async function inYoungGcChild<T> (script: string): Promise<T> {
  const measure = `
    const { getHeapSpaceStatistics } = await import('node:v8')
    const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size
    const promotedMb = (iteration) => {
      gc(); gc()
      const before = oldSpace()
      for (let i = 0; i < 2000; i++) {
        iteration(new Array(1000).fill(i), i)
        if (i % 200 === 0) gc({ type: 'minor' })
      }
      for (let k = 0; k < 3; k++) gc({ type: 'minor' })
      return (oldSpace() - before) / 1048576
    }
  `
  const { stdout } = await promisify(execFile)(...nodeCommand(['--expose-gc', '--no-allocation-site-pretenuring', ...TS_LOADER, '--input-type=module', '-e', measure + script]))
  return JSON.parse(stdout) as T
}
