/** A forced garbage collection for the heap tests. */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

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
