/**
 * A Map with a bound on its size: adding a key past it drops the oldest
 * key first (insertion order). For small memos on hot paths, where a full
 * LRU's bookkeeping would cost more than the occasional recomputation.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor (readonly max: number) {
    super()
  }

  override set (key: K, value: V): this {
    if (this.size >= this.max && !this.has(key)) this.delete(this.keys().next().value as K)
    return super.set(key, value)
  }
}
