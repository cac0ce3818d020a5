/** The received-but-not-yet-decoded bytes of one piece, kept as the chunks they arrived in. */
export class PieceBuffer {
  #chunks: Uint8Array[] = [];
  /** Piece offset of the first kept chunk's first byte. */
  #start: number;
  #end: number;

  readonly #onDiscard: ((chunk: Uint8Array) => void) | undefined;

  /**
   * A buffer whose first byte will be at piece offset `start`. `onDiscard` hears of every chunk
   * {@link discardBefore} forgets, once nothing here reads it again (to hand a received frame
   * back to the transport's pool).
   */
  constructor(start: number, onDiscard?: (chunk: Uint8Array) => void) {
    this.#start = start;
    this.#end = start;
    this.#onDiscard = onDiscard;
  }

  /** Piece offset just past the last byte received. */
  get end(): number {
    return this.#end;
  }

  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#end += chunk.length;
  }

  /** Bytes `[from, to)`: a view when one chunk holds them all, else a copy. */
  slice(from: number, to: number): Uint8Array {
    let at = this.#start;
    for (const [i, chunk] of this.#chunks.entries()) {
      if (from < at + chunk.length) {
        if (to <= at + chunk.length) return chunk.subarray(from - at, to - at);
        return this.#copy(i, at, from, to);
      }
      at += chunk.length;
    }
    return new Uint8Array(0);
  }

  /** Forgets every chunk that ends at or before `offset`. */
  discardBefore(offset: number): void {
    while (this.#chunks.length > 0 && this.#start + this.#chunks[0]!.length <= offset) {
      const chunk = this.#chunks.shift()!;
      this.#start += chunk.length;
      this.#onDiscard?.(chunk);
    }
  }

  #copy(first: number, firstStart: number, from: number, to: number): Uint8Array {
    const out = new Uint8Array(to - from);
    let at = firstStart;
    let written = 0;
    for (let i = first; i < this.#chunks.length && written < out.length; i++) {
      const chunk = this.#chunks[i]!;
      const part = chunk.subarray(Math.max(0, from - at), Math.min(chunk.length, to - at));
      out.set(part, written);
      written += part.length;
      at += chunk.length;
    }
    return out;
  }
}
