/**
 * Cache counters per method, and the hooks that feed them into prom-client
 * (src/ops/metrics.ts). The periodic "cache stats" log line built from these
 * counters is off by default now that /metrics has them.
 */

import type { StorageFailure } from './guard.js'
import type { HeldEntries } from './storage.js'

/** Counters of one method. */
export interface MethodCacheStats {
  /** Reads served from a stored entry. */
  hits: number
  /** Reads that went upstream because no usable entry existed. */
  misses: number
  /** Reads that joined an identical read in flight (same principal). */
  dedupes: number
  /** Reads that skipped the cache: `Cache-Control: no-cache`, or storage unavailable. */
  bypasses: number
  /** Writes that invalidated references (counted on the write method). */
  invalidations: number
}

/** A snapshot of the cache's counters. */
export interface CacheStats {
  storage: 'memory' | 'redis'
  /** False while the storage is being bypassed after a failure. */
  available: boolean
  /** Storage operations that failed or timed out (connection errors are not operations). */
  storageErrors: number
  methods: Record<string, MethodCacheStats>
  /** Entries held and their weight (memory storage only; see CACHE_MAX_BYTES). */
  held?: HeldEntries
}

/** Callbacks on cache events, e.g. for prom-client counters. Errors thrown here are ignored. */
export interface CacheHooks {
  onHit? (method: string): void
  onMiss? (method: string): void
  onDedupe? (method: string): void
  onBypass? (method: string): void
  onInvalidate? (method: string, refs: readonly string[]): void
  onStorageError? (err: Error, kind: StorageFailure): void
}

type Counter = keyof MethodCacheStats

/** The counters of one cache instance. */
export class StatsRecorder {
  private readonly methods = new Map<string, MethodCacheStats>()
  private storageErrors = 0
  private changed = false

  constructor (private readonly hooks: CacheHooks = {}) {}

  count (method: string, counter: Counter, refs: readonly string[] = []): void {
    let m = this.methods.get(method)
    if (m === undefined) this.methods.set(method, m = { hits: 0, misses: 0, dedupes: 0, bypasses: 0, invalidations: 0 })
    m[counter]++
    this.changed = true
    try {
      if (counter === 'hits') this.hooks.onHit?.(method)
      else if (counter === 'misses') this.hooks.onMiss?.(method)
      else if (counter === 'dedupes') this.hooks.onDedupe?.(method)
      else if (counter === 'bypasses') this.hooks.onBypass?.(method)
      else this.hooks.onInvalidate?.(method, refs)
    } catch {
      // A metrics hook must never fail a request.
    }
  }

  storageError (err: Error, kind: StorageFailure = 'operation'): void {
    if (kind === 'operation') this.storageErrors++
    this.changed = true
    try { this.hooks.onStorageError?.(err, kind) } catch { /* see count() */ }
  }

  snapshot (storage: CacheStats['storage'], available: boolean, held?: HeldEntries): CacheStats {
    const methods: Record<string, MethodCacheStats> = {}
    for (const [name, m] of this.methods) methods[name] = { ...m }
    return { storage, available, storageErrors: this.storageErrors, methods, ...(held === undefined ? {} : { held }) }
  }

  /** True once since the last call if anything was counted: quiet intervals log nothing. */
  takeChanged (): boolean {
    const c = this.changed
    this.changed = false
    return c
  }
}
