/**
 * Rendered REST bodies of cached reads, by method and ETag. The ETag is a
 * hash of the upstream answer's bytes, so the same method and ETag always
 * render to the same JSON: a cache hit is served from here without parsing
 * the entry, mapping it and serializing it again (a quarter of a cached
 * read's CPU). Kept as UTF-8 bytes, so a hit is written to the socket as
 * is: a string body is measured and encoded again on every send. Two callers share an entry only when their own answers are
 * byte for byte the same, so nobody gets a body that is not theirs. Bounded
 * by total bytes (keys and a per-entry overhead counted too, so many small
 * bodies stay within it), least recently used out first; one per app
 * instance.
 */

/** Default bound of the rendered bodies kept, in bytes. */
export const RENDERED_MAX_BYTES = 8 * 1024 * 1024

export class RenderedBodies {
  readonly #bodies = new Map<string, Buffer>()
  readonly #maxBytes: number
  #bytes = 0

  constructor (maxBytes = RENDERED_MAX_BYTES) {
    this.#maxBytes = maxBytes
  }

  /** The body rendered for `key`, refreshed as most recently used. */
  get (key: string): Buffer | undefined {
    const body = this.#bodies.get(key)
    if (body !== undefined) {
      this.#bodies.delete(key)
      this.#bodies.set(key, body)
    }
    return body
  }

  /** Keep `body` for `key` (unless it alone exceeds the bound) and return it. */
  set (key: string, body: Buffer): Buffer {
    const old = this.#bodies.get(key)
    if (old !== undefined) {
      this.#bodies.delete(key)
      this.#bytes -= cost(key, old)
    }
    if (cost(key, body) > this.#maxBytes) return body
    this.#bodies.set(key, body)
    this.#bytes += cost(key, body)
    for (const [k, b] of this.#bodies) {
      if (this.#bytes <= this.#maxBytes) break
      this.#bodies.delete(k)
      this.#bytes -= cost(k, b)
    }
    return body
  }

  get size (): number {
    return this.#bodies.size
  }

  /** What the entries are counted as against the bound. */
  get bytes (): number {
    return this.#bytes
  }
}

/** Bytes counted for an entry beyond its strings: the Map's slot and the string headers. */
export const ENTRY_OVERHEAD_BYTES = 64

/** An entry's weight: the key at two bytes a character, the body's bytes, and the overhead. */
function cost (key: string, body: Buffer): number {
  return 2 * key.length + body.length + ENTRY_OVERHEAD_BYTES
}
