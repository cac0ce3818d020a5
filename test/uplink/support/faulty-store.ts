/** Piece stores that misbehave on demand, for the failure stories. */
import type { PieceCommit, PieceEntry, PieceRange, PieceReadOptions, PieceStore, PieceWriter, StoredPieceHeader } from '../../../src/piecestore/store.js';

/**
 * Delegates to a real store; when `corrupt` is on, flips a bit in every chunk it reads back;
 * while `stalled` is on, writes wait until it is turned off.
 */
export class FaultyPieceStore implements PieceStore {
  corrupt = false;
  /** Chunks served while corrupt. */
  corruptReads = 0;
  /** Piece bytes served in all. */
  bytesRead = 0;
  /** Piece reads asked for (a download request reached this node), served or not. */
  reads = 0;
  #stall: { promise: Promise<void>; release(): void } | undefined;

  constructor(private readonly inner: PieceStore) {}

  /** Makes writes and reads hang (the node stops reading the upload, or serving a download) until {@link resume}. */
  stall(): void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.#stall = { promise, release };
  }

  resume(): void {
    this.#stall?.release();
    this.#stall = undefined;
  }

  async create(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<PieceWriter> {
    const writer = await this.inner.create(satelliteId, pieceId);
    return {
      get size() {
        return writer.size;
      },
      write: async (chunk) => {
        await this.#stall?.promise;
        await writer.write(chunk);
      },
      commit: (header: PieceCommit) => writer.commit(header),
      abort: () => writer.abort(),
    };
  }

  async *read(satelliteId: Uint8Array, pieceId: Uint8Array, range: PieceRange, options?: PieceReadOptions): AsyncIterable<Uint8Array> {
    this.reads++;
    for await (const chunk of this.inner.read(satelliteId, pieceId, range, options)) {
      await this.#stall?.promise;
      this.bytesRead += chunk.length;
      if (!this.corrupt || chunk.length === 0) {
        yield chunk;
        continue;
      }
      const bad = chunk.slice();
      const at = bad.length >> 1;
      bad[at] = bad[at]! ^ 0x10;
      this.corruptReads++;
      yield bad;
    }
  }

  header(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<StoredPieceHeader> {
    return this.inner.header(satelliteId, pieceId);
  }

  has(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<boolean> {
    return this.inner.has(satelliteId, pieceId);
  }

  delete(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<boolean> {
    return this.inner.delete(satelliteId, pieceId);
  }

  list(satelliteId: Uint8Array): AsyncIterable<PieceEntry> {
    return this.inner.list(satelliteId);
  }

  usedBytes(satelliteId?: Uint8Array): number {
    return this.inner.usedBytes(satelliteId);
  }
}
