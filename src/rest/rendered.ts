/**
 * Rendered REST bodies of cached reads, by method and ETag. The ETag is a
 * hash of the upstream answer's bytes, so the same method and ETag always
 * render to the same JSON: a cache hit is served from here without parsing
 * the entry, mapping it and serializing it again (a quarter of a cached
 * read's CPU). Kept as UTF-8 bytes, so a hit is written to the socket as
 * is: a string body is measured and encoded again on every send. Two
 * callers share an entry only when their own answers are byte for byte the
 * same, so nobody gets a body that is not theirs. Bounded by total bytes
 * (keys and a per-entry overhead counted too, so many small bodies stay
 * within it), least recently used out first; one per app instance.
 */
import { WeightedLru } from '../weighted-lru.js'

/** Default bound of the rendered bodies kept, in bytes. */
export const RENDERED_MAX_BYTES = 8 * 1024 * 1024

export class RenderedBodies {
  readonly #bodies: WeightedLru<string, Buffer>

  constructor (maxBytes = RENDERED_MAX_BYTES) {
    this.#bodies = new WeightedLru(maxBytes)
  }

  /** The body rendered for `key`, refreshed as most recently used. */
  get (key: string): Buffer | undefined {
    return this.#bodies.get(key)
  }

  /** Keep `body` for `key` (unless it alone exceeds the bound) and return it. */
  set (key: string, body: Buffer): Buffer {
    this.#bodies.set(key, body, cost(key, body))
    return body
  }

  get size (): number {
    return this.#bodies.size
  }

  /** What the entries are counted as against the bound. */
  get bytes (): number {
    return this.#bodies.weight
  }
}

/** Bytes counted for an entry beyond its strings: the Map's slot and the string headers. */
export const ENTRY_OVERHEAD_BYTES = 64

/** An entry's weight: the key at two bytes a character, the body's bytes, and the overhead. */
function cost (key: string, body: Buffer): number {
  return 2 * key.length + body.length + ENTRY_OVERHEAD_BYTES
}
