/**
 * In-process storage: a Map used as an LRU (insertion order, refreshed on
 * read), bounded by CACHE_MAX_ENTRIES. One per app instance, never shared
 * at module level.
 */
import type { CacheStorage, StoredEntry } from './storage.js'

/** Options of the memory storage. */
export interface MemoryStorageOptions {
  /** Most entries kept; the least recently used goes first. */
  maxEntries: number
  /** Most reference versions kept; see `floor` below. Defaults to max(maxEntries, 1024). */
  maxVersions?: number
  /** Cache clock, for dropping expired entries. */
  now?: () => number
}

/** Build a memory storage. */
export function createMemoryStorage (opts: MemoryStorageOptions): CacheStorage {
  const now = opts.now ?? Date.now
  const maxVersions = opts.maxVersions ?? Math.max(opts.maxEntries, 1024)
  const entries = new Map<string, StoredEntry>()
  const versions = new Map<string, number>()
  let sequence = 0
  // Versions are bounded too. A forgotten reference reads as `floor`, the
  // highest version ever forgotten: at worst an entry is dropped early,
  // never served after an invalidation it did not see.
  let floor = 0

  const version = (ref: string): number => versions.get(ref) ?? floor
  const current = (e: StoredEntry): boolean => e.refs.every((r) => version(r) <= e.stamp)

  function peek (key: string): StoredEntry | undefined {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    entries.delete(key)
    if (entry.expiresAt <= now() || !current(entry)) return undefined
    entries.set(key, entry)
    return entry
  }

  return {
    kind: 'memory',
    async sequence () {
      return sequence
    },
    async get (key) {
      return peek(key)
    },
    peek,
    async set (key, entry) {
      if (!current(entry)) return false
      entries.delete(key)
      entries.set(key, entry)
      for (const oldest of entries.keys()) {
        if (entries.size <= opts.maxEntries) break
        entries.delete(oldest)
      }
      return true
    },
    async invalidate (refs) {
      if (refs.length === 0) return
      sequence++
      for (const ref of refs) {
        versions.delete(ref)
        versions.set(ref, sequence)
      }
      for (const [oldest, v] of versions) {
        if (versions.size <= maxVersions) break
        versions.delete(oldest)
        floor = Math.max(floor, v)
      }
    },
    async close () {
      entries.clear()
      versions.clear()
    }
  }
}
