/**
 * Reusable buffers for whole-piece reads. A graceful exit reads every piece it holds into memory
 * once; a fresh 256 KiB buffer per piece is memory outside V8's heap that V8 still counts toward
 * its next full collection, so an exit of a few thousand pieces paid for about a hundred
 * mark-compacts of an otherwise small heap. A handful of buffers, handed back once their bytes
 * are surely gone, allocates none of that after the first few pieces.
 */

/** Buffers above this are never kept: a rare huge piece should not pin its memory. */
const MAX_POOLED_BYTES = 4 * 1024 * 1024;
/** Capacities are rounded up to this, so pieces of nearby sizes share buffers. */
const GRANULE = 64 * 1024;

/**
 * A small free list of byte buffers. `take` returns one of at least the size asked for (its
 * contents are whatever was there before); `give` hands it back. Giving back a buffer something
 * still reads — a socket still sending from it — would let the next piece overwrite those bytes:
 * only give back what is finished with.
 *
 * @example
 * ```ts
 * const pool = new PieceBufferPool(6);
 * const piece = await readWholePiece(store, satelliteId, pieceId, { allocate: (n) => pool.take(n) });
 * // ... send piece.data and wait for the receiver's signed hash ...
 * pool.give(piece.data);
 * ```
 */
export class PieceBufferPool {
  readonly #free: Uint8Array[] = [];
  readonly #maxFree: number;

  /** `maxFree`: buffers kept at most (about the number of reads in flight at once). */
  constructor(maxFree: number) {
    this.#maxFree = Math.max(0, Math.floor(maxFree));
  }

  /** A buffer of at least `size` bytes (uninitialized contents). */
  take(size: number): Uint8Array {
    for (let i = this.#free.length - 1; i >= 0; i--) {
      const buffer = this.#free[i]!;
      // A larger one serves too, but not one far larger: it would sit in use for small pieces.
      if (buffer.byteLength >= size && buffer.byteLength <= Math.max(size * 2, GRANULE)) {
        this.#free.splice(i, 1);
        return buffer;
      }
    }
    const capacity = size > MAX_POOLED_BYTES ? size : Math.ceil(Math.max(size, 1) / GRANULE) * GRANULE;
    // Not zeroed: a whole-piece read overwrites every byte it hands out.
    return new Uint8Array(Buffer.allocUnsafeSlow(capacity).buffer, 0, capacity);
  }

  /** Hands back a buffer from {@link take} (or any view of it): its memory may be reused at once. */
  give(view: Uint8Array): void {
    if (this.#free.length >= this.#maxFree) return;
    const whole = new Uint8Array(view.buffer, 0, view.buffer.byteLength);
    if (whole.byteLength > MAX_POOLED_BYTES || whole.byteLength === 0) return;
    if (this.#free.some((b) => b.buffer === whole.buffer)) return; // given twice: keep it once
    this.#free.push(whole);
  }

  /** Buffers waiting to be reused. */
  get size(): number {
    return this.#free.length;
  }
}
