/**
 * Reused memory for big received frames.
 *
 * A node receiving pieces got each one as a frame in a fresh buffer: memory outside V8's heap
 * that V8 still counts toward its next full collection, so a node taking a few thousand 256 KiB
 * pieces ran a mark-compact every few dozen of them. A transport that reads a big frame's body
 * itself (see `FrameReader`) takes the buffer from this pool instead, and the frame's consumer may
 * hand it back with {@link releaseFrame} once it is finished with every byte of it.
 *
 * The ownership rule: a frame `Connection.receive` returns belongs to whoever received it, and so
 * does everything decoded from it (decoded byte strings of big frames are views into it).
 * Calling {@link releaseFrame} says "nothing will read any view of this frame again"; the next big
 * frame may then be read into the same memory. Not calling it is always safe: the buffer is
 * simply garbage-collected. Only buffers this pool lent out are ever reused, each at most once
 * per lending (a second release, or a release of any other memory, does nothing).
 */

/** Buffers above this are never kept: a rare huge frame should not pin its memory. */
const MAX_POOLED_BYTES = 4 * 1024 * 1024;
/**
 * Capacities are rounded up to this, so frames of nearby sizes share buffers (a piece's chunk
 * frames differ by a few bytes of order), while a frame kept for good — a memory piece store
 * keeps what it is given — carries little unused room.
 */
export const FRAME_POOL_GRANULE = 4 * 1024;
/** Free buffers kept at most (about the big frames a process has in hand at once). */
const DEFAULT_MAX_FREE = 16;

/** Memory that is not zeroed first where Node can give it (every byte is read over at once). */
function uninitialized(capacity: number): ArrayBuffer {
  const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;
  if (NodeBuffer === undefined) return new ArrayBuffer(capacity);
  return NodeBuffer.allocUnsafeSlow(capacity).buffer as ArrayBuffer;
}

/**
 * A free list of frame buffers and the set of those lent out. {@link take} and {@link allocate}
 * lend a buffer (a view of exactly the size asked for, over memory of at least that size);
 * {@link release} takes it back.
 */
export class FrameBufferPool {
  readonly #free: ArrayBuffer[] = [];
  /** Buffers lent and not yet released: only these may come back. */
  readonly #lent = new WeakSet<ArrayBuffer>();
  readonly #maxFree: number;

  constructor(maxFree = DEFAULT_MAX_FREE) {
    this.#maxFree = Math.max(0, Math.floor(maxFree));
  }

  /** A released buffer that fits `size` bytes, lent as a view of exactly `size` bytes; `undefined` when none is free. */
  take(size: number): Uint8Array | undefined {
    for (let i = this.#free.length - 1; i >= 0; i--) {
      const buffer = this.#free[i]!;
      // A larger one serves too, but not one far larger: it would sit in use for small frames.
      if (buffer.byteLength >= size && buffer.byteLength <= Math.max(size * 2, FRAME_POOL_GRANULE)) {
        this.#free.splice(i, 1);
        this.#lent.add(buffer);
        return new Uint8Array(buffer, 0, size);
      }
    }
    return undefined;
  }

  /** A new buffer for `size` bytes (contents unspecified), lent like {@link take}'s. */
  allocate(size: number): Uint8Array {
    const capacity = size > MAX_POOLED_BYTES ? size : Math.ceil(Math.max(size, 1) / FRAME_POOL_GRANULE) * FRAME_POOL_GRANULE;
    const buffer = uninitialized(capacity);
    this.#lent.add(buffer);
    return new Uint8Array(buffer, 0, size);
  }

  /**
   * Takes back the lent buffer that `view` is (a view of) a part of; true when it was lent. The
   * caller promises that nothing reads any view of that buffer any more.
   */
  release(view: Uint8Array): boolean {
    const buffer = view.buffer as ArrayBuffer;
    if (!this.#lent.has(buffer)) return false;
    this.#lent.delete(buffer);
    if (this.#free.length < this.#maxFree && buffer.byteLength <= MAX_POOLED_BYTES) this.#free.push(buffer);
    return true;
  }

  /** Whether the buffer under `view` is lent out now. */
  lent(view: Uint8Array): boolean {
    return this.#lent.has(view.buffer as ArrayBuffer);
  }

  /** Buffers waiting to be reused. */
  get freeCount(): number {
    return this.#free.length;
  }
}

/** The process's pool, shared by every connection that reads big frames itself. */
export const framePool = new FrameBufferPool();

/**
 * Hands a received frame's memory back for later frames: `bytes` is the frame or any view into it
 * (a byte string decoded from it). Call it only once nothing will read that frame or anything
 * decoded from it again — another view kept (a signature, a key) would be overwritten by a later
 * frame. Frames that were not read into pooled memory (small frames, other transports) are left
 * alone; calling it twice does nothing more. Not calling it is always safe.
 *
 * @example
 * ```ts
 * const frame = await connection.receive();
 * hash.update(frame);
 * await file.write(frame);
 * releaseFrame(frame); // the next big frame may be read into this memory
 * ```
 */
export function releaseFrame(bytes: Uint8Array): void {
  framePool.release(bytes);
}
