/**
 * The process-wide settings applied once at start, before the app is built:
 * by the entry (src/server.ts) and by the benchmark's gateway, which must
 * run as the entry does.
 */
import type { Config } from '../config.js'
import { fixAsyncResourceBind } from './async-bind.js'
import { tuneHeap } from './heap.js'

export interface ProcessTuning {
  /** Node's AsyncResource.prototype.bind was replaced (ASYNC_BIND_FIX, on a Node that needs it). */
  bindFixed: boolean
}

/** Apply HEAP_GROWING_PERCENT and ASYNC_BIND_FIX; `apply` is for tests. */
export function tuneProcess (config: Pick<Config, 'HEAP_GROWING_PERCENT' | 'ASYNC_BIND_FIX'>,
  apply: { tuneHeap: (percent: number) => void, fixBind: () => boolean } = { tuneHeap, fixBind: fixAsyncResourceBind }): ProcessTuning {
  apply.tuneHeap(config.HEAP_GROWING_PERCENT)
  return { bindFixed: config.ASYNC_BIND_FIX && apply.fixBind() }
}
