/**
 * Rendered REST bodies of cached reads, by method and ETag. The ETag is a
 * hash of the upstream answer's bytes, so the same method and ETag always
 * render to the same JSON: a cache hit is served from here without parsing
 * the entry, mapping it and serializing it again (a quarter of a cached
 * read's CPU). Two callers share an entry only when their own answers are
 * byte for byte the same, so nobody gets a body that is not theirs. Bounded
 * by total bytes, least recently used out first; one per app instance.
 */

/** Default bound of the rendered bodies kept, in bytes. */
export const RENDERED_MAX_BYTES = 8 * 1024 * 1024

export class RenderedBodies {
  readonly #bodies = new Map<string, string>()
  readonly #maxBytes: number
  #bytes = 0

  constructor (maxBytes = RENDERED_MAX_BYTES) {
    this.#maxBytes = maxBytes
  }

  /** The body rendered for `key`, refreshed as most recently used. */
  get (key: string): string | undefined {
    const body = this.#bodies.get(key)
    if (body !== undefined) {
      this.#bodies.delete(key)
      this.#bodies.set(key, body)
    }
    return body
  }

  /** Keep `body` for `key` (unless it alone exceeds the bound) and return it. */
  set (key: string, body: string): string {
    const old = this.#bodies.get(key)
    if (old !== undefined) {
      this.#bodies.delete(key)
      this.#bytes -= old.length * 2
    }
    if (body.length * 2 > this.#maxBytes) return body
    this.#bodies.set(key, body)
    this.#bytes += body.length * 2
    for (const [k, b] of this.#bodies) {
      if (this.#bytes <= this.#maxBytes) break
      this.#bodies.delete(k)
      this.#bytes -= b.length * 2
    }
    return body
  }

  get size (): number {
    return this.#bodies.size
  }

  get bytes (): number {
    return this.#bytes
  }
}
