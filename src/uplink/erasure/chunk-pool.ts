/**
 * Piece chunks lent to the encoder and given back once nothing reads them (issue 17). Writing
 * every batch of every piece into fresh memory cost an upload more CPU than anything else the
 * protocol floor does not pay (a fresh page's first touch, and the collector); reused arrays
 * are already mapped.
 *
 * The ownership rule: a chunk lent by {@link ChunkPool.lend} belongs to whoever holds it until
 * they {@link ChunkPool.give} it back, and after that they must not read it again — the next
 * `lend` may overwrite it at once. In an upload the encoder lends, the piece feed carries the
 * chunk to one piece upload, and that upload gives it back only once its bytes are hashed and
 * the transport holds no reference to them (`Connection.released`). A chunk never given back
 * (a failed upload, a transport that cannot tell) is simply left to the collector.
 */

/** Idle bytes kept for reuse at most, over all sizes. */
const DEFAULT_MAX_IDLE_BYTES = 64 * 1024 * 1024;

/** A free list of equally sized chunk arrays per size. */
export class ChunkPool {
  readonly #maxIdleBytes: number;
  /** Arrays this pool made, so only they (or views of them) are ever taken back. */
  readonly #ours = new WeakSet<ArrayBuffer>();
  readonly #free = new Map<number, Uint8Array[]>();
  #idleBytes = 0;

  constructor(maxIdleBytes = DEFAULT_MAX_IDLE_BYTES) {
    this.#maxIdleBytes = maxIdleBytes;
  }

  /** Bytes held for reuse right now. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** An array of `size` bytes: one given back earlier (its old bytes still in it), or a new one. */
  lend(size: number): Uint8Array {
    const reused = this.#free.get(size)?.pop();
    if (reused !== undefined) {
      this.#idleBytes -= size;
      return reused;
    }
    const chunk = new Uint8Array(size);
    this.#ours.add(chunk.buffer);
    return chunk;
  }

  /**
   * Takes back the array `chunk` is (or is a view of): whoever gives it must not read it again.
   * Returns false, keeping nothing, for memory this pool did not lend or when it is full.
   */
  give(chunk: Uint8Array): boolean {
    const buffer = chunk.buffer;
    if (!(buffer instanceof ArrayBuffer) || !this.#ours.has(buffer)) return false;
    const size = buffer.byteLength;
    if (this.#idleBytes + size > this.#maxIdleBytes) return false;
    let list = this.#free.get(size);
    if (list === undefined) this.#free.set(size, (list = []));
    // Given twice would mean lent twice: two owners of one array. Refuse the second.
    if (list.some((c) => c.buffer === buffer)) return false;
    list.push(new Uint8Array(buffer));
    this.#idleBytes += size;
    return true;
  }
}
