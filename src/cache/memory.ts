/**
 * In-process storage: an LRU (src/weighted-lru.ts, refreshed on read),
 * bounded by CACHE_MAX_ENTRIES and by CACHE_MAX_BYTES: lists differ
 * in size by orders of magnitude (a service's 20 backups are 8 KB of JSON,
 * an organization's thousands several MB), and entries are per principal,
 * so a count alone bounds nothing. One per app instance, never shared at
 * module level.
 */
import { WeightedLru } from '../weighted-lru.js'
import type { CacheStorage, HeldEntries, StoredEntry } from './storage.js'

/** Options of the memory storage. */
export interface MemoryStorageOptions {
  /** Most entries kept; the least recently used goes first. */
  maxEntries: number
  /**
   * Most bytes kept, as `entryBytes` counts them; the least recently used
   * goes first, and an entry larger than this is not stored at all.
   * Unbounded when absent.
   */
  maxBytes?: number
  /** Most reference versions kept; see `floor` below. Defaults to max(maxEntries, 1024). */
  maxVersions?: number
  /** Cache clock, for dropping expired entries. */
  now?: () => number
}

/** Bytes counted for an entry beyond its strings: the Map's slot, the entry object, the refs array. */
export const ENTRY_OVERHEAD_BYTES = 160

/**
 * What an entry weighs against the byte bound: its key and strings at two
 * bytes a character (V8 keeps a string with any non-Latin-1 character at
 * two; JSON of ASCII text takes one, so this errs high), and the overhead.
 */
export function entryBytes (key: string, entry: StoredEntry): number {
  let chars = key.length + entry.body.length + entry.etag.length
  for (const ref of entry.refs) chars += ref.length
  return 2 * chars + ENTRY_OVERHEAD_BYTES
}

/** Build a memory storage. */
export function createMemoryStorage (opts: MemoryStorageOptions): CacheStorage & { held (): HeldEntries } {
  const now = opts.now ?? Date.now
  const maxVersions = opts.maxVersions ?? Math.max(opts.maxEntries, 1024)
  const entries = new WeightedLru<string, StoredEntry>(opts.maxBytes ?? Infinity, opts.maxEntries)
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
    if (entry !== undefined && (entry.expiresAt <= now() || !current(entry))) {
      entries.delete(key)
      return undefined
    }
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
      if (!current(entry)) return 'superseded'
      // An entry heavier than the whole bound is served to its caller, not kept.
      return entries.set(key, entry, entryBytes(key, entry)) ? 'stored' : 'refused'
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
    },
    held: () => ({ entries: entries.size, bytes: entries.weight })
  }
}
