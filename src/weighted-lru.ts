/**
 * A least-recently-used map bounded by the total weight of its entries
 * (bytes, as its owner counts them) and, optionally, by their number. A
 * read refreshes an entry; an entry added past a bound pushes out the least
 * recently used first; an entry heavier than the whole bound is not kept
 * (keeping it would push out everything else). The REST rendered bodies
 * and the memory cache storage are built on it.
 *
 * The order is kept the CLOCK way ("second chance"), an approximation of
 * LRU: a read only marks its entry; when something must go, the oldest
 * entries are looked at first, and a marked one is moved to the newest end,
 * unmarked, instead of going. So a read costs a lookup and a flag, not the
 * removal and re-insertion that moving the entry in the Map takes: this map
 * is read on every cache hit (twice on a REST hit), and the move was 2% of
 * such a hit's CPU.
 */
export class WeightedLru<K, V> {
  readonly #entries = new Map<K, Held<V>>()
  #weight = 0

  constructor (readonly maxWeight: number, readonly maxEntries = Infinity) {
    if (!(maxEntries >= 1)) throw new RangeError(`an LRU holds at least one entry, not ${maxEntries}`)
  }

  /** The value under `key`, refreshed as recently used. */
  get (key: K): V | undefined {
    const held = this.#entries.get(key)
    if (held === undefined) return undefined
    held.read = true
    return held.value
  }

  /**
   * Keep `value` under `key` as the most recently used, replacing what the
   * key held. False when `weight` alone exceeds the bound: then the key
   * holds nothing, and nothing else was pushed out.
   */
  set (key: K, value: V, weight: number): boolean {
    this.delete(key)
    if (weight > this.maxWeight) return false
    const added = new Held(value, weight)
    this.#entries.set(key, added)
    this.#weight += weight
    // Oldest first. An entry read since it was last looked at goes to the
    // newest end instead, unmarked: a second look finds it unmarked, so
    // this ends. The entry just added is never pushed out: it fits alone.
    for (const [oldest, held] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#weight <= this.maxWeight) break
      if (held === added) continue
      this.#entries.delete(oldest)
      if (held.read) {
        held.read = false
        this.#entries.set(oldest, held)
      } else {
        this.#weight -= held.weight
      }
    }
    return true
  }

  delete (key: K): boolean {
    const held = this.#entries.get(key)
    if (held === undefined) return false
    this.#entries.delete(key)
    this.#weight -= held.weight
    return true
  }

  clear (): void {
    this.#entries.clear()
    this.#weight = 0
  }

  get size (): number {
    return this.#entries.size
  }

  /** The total weight held. */
  get weight (): number {
    return this.#weight
  }
}

/** An entry and its weight; `read`: read since it was last looked at for eviction. */
class Held<V> {
  read = false
  constructor (readonly value: V, readonly weight: number) {}
}
