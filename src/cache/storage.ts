/**
 * The storage behind the list cache: memory and Redis are interchangeable
 * peers behind this interface, chosen at boot.
 *
 * Invalidation is by version, not by deletion. Storage keeps one sequence
 * number and, per reference, the sequence of its last invalidation. A read
 * captures the sequence before it goes upstream and its entry carries that
 * stamp; the entry is stored and served only while none of its references
 * was invalidated after the stamp. This one rule makes writes reach every
 * principal's entries without an index of keys, and keeps a read that
 * started before a write from putting its stale answer back afterwards.
 */

/** One cached answer, as stored. */
export interface StoredEntry {
  /** The answer as JSON. */
  body: string
  /** Strong validator of `body`, computed once when the entry was made. */
  etag: string
  /** Epoch ms (cache clock) after which the entry is not served. */
  expiresAt: number
  /** The storage sequence captured when the read started. */
  stamp: number
  /**
   * Epoch ms (cache clock) when the answer was asked of VBase, which then
   * accepted the caller's token; absent in entries written before it was
   * kept (the list cache then reckons it from the expiry).
   */
  fetchedAt?: number
  /** References the answer depends on (see references.ts). */
  refs: string[]
}

/** What became of an entry offered to the storage. */
export type SetOutcome = 'stored' | 'superseded' | 'refused'

/** A storage for the list cache. Any method may reject; the guard turns that into a bypass. */
export interface CacheStorage {
  readonly kind: 'memory' | 'redis'
  /** The current invalidation sequence; a read captures it before going upstream. */
  sequence (): Promise<number>
  /** The entry under `key`, unless absent or invalidated since its stamp. Expiry is checked by the caller. */
  get (key: string): Promise<StoredEntry | undefined>
  /**
   * `get` without waiting, for a storage that holds its entries in process
   * (memory): a hit is answered in the same tick, with no promise, timer or
   * cancellation signal made for it. Absent on storages that need I/O.
   */
  peek? (key: string): StoredEntry | undefined
  /**
   * Store `entry` for `ttlMs`, atomically checking that none of its references
   * was invalidated after `entry.stamp`: `superseded` when one was, `refused`
   * when the storage would not keep an entry that large.
   */
  set (key: string, entry: StoredEntry, ttlMs: number): Promise<SetOutcome>
  /** Invalidate references for every principal (on every replica sharing the storage). */
  invalidate (refs: string[]): Promise<void>
  close (): Promise<void>
  /** What the storage holds now, for a storage that keeps it in process (memory). */
  held? (): HeldEntries
}

/** Entries held in process, and their weight against the byte bound. */
export interface HeldEntries {
  entries: number
  bytes: number
}

/**
 * Serialized form shared by storages that keep strings: a header line, then
 * the body. The header is the stamp, the expiry, the ETag, then the fetch
 * time as `@<ms>` and the references. The fetch time sits among the
 * references, where a replica that predates it reads it as one no write
 * ever invalidates: replicas of both releases can share a Redis.
 */
export function encodeEntry (entry: StoredEntry): string {
  const fetched = entry.fetchedAt === undefined ? [] : [`@${entry.fetchedAt}`]
  return `${[entry.stamp, entry.expiresAt, entry.etag, ...fetched, ...entry.refs].join(' ')}\n${entry.body}`
}

/** Inverse of encodeEntry; undefined for anything malformed (treated as a miss). */
export function decodeEntry (raw: string): StoredEntry | undefined {
  const nl = raw.indexOf('\n')
  if (nl < 0) return undefined
  const [stamp, expiresAt, etag, ...rest] = raw.slice(0, nl).split(' ')
  const entry: StoredEntry = { stamp: Number(stamp), expiresAt: Number(expiresAt), etag: etag ?? '', refs: [], body: raw.slice(nl + 1) }
  for (const word of rest) {
    if (word.startsWith('@')) entry.fetchedAt = Number(word.slice(1))
    else if (word !== '') entry.refs.push(word)
  }
  if (!Number.isFinite(entry.stamp) || !Number.isFinite(entry.expiresAt) || entry.etag === '') return undefined
  if (entry.fetchedAt !== undefined && !Number.isFinite(entry.fetchedAt)) return undefined
  return entry
}
