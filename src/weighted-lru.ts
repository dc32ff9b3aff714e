/**
 * A least-recently-used map bounded by the total weight of its entries
 * (bytes, as its owner counts them) and, optionally, by their number. A
 * read refreshes an entry; an entry added past a bound pushes out the least
 * recently used first; an entry heavier than the whole bound is not kept
 * (keeping it would push out everything else). The REST rendered bodies
 * and the memory cache storage are built on it.
 */
export class WeightedLru<K, V> {
  readonly #entries = new Map<K, { value: V, weight: number }>()
  #weight = 0

  constructor (readonly maxWeight: number, readonly maxEntries = Infinity) {}

  /** The value under `key`, refreshed as most recently used. */
  get (key: K): V | undefined {
    const held = this.#entries.get(key)
    if (held === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, held)
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
    this.#entries.set(key, { value, weight })
    this.#weight += weight
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries && this.#weight <= this.maxWeight) break
      this.delete(oldest)
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
