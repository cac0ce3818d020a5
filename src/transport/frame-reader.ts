import { FRAME_HEADER_BYTES, FrameParser, POOLED_FRAME_BYTES } from './frame-parser.js';
import { framePool, type FrameBufferPool } from './frame-pool.js';

/** Reads land here between big frames. */
const SCRATCH_BYTES = 64 * 1024;
/** A frame with at least this much body still to come is read straight into its own buffer. */
const DIRECT_MIN_BYTES = 16 * 1024;
/**
 * Most bytes offered to one read. libuv reads a ready socket up to 32 times per turn of the event
 * loop; offered a whole big frame each time, one socket could take 8 MiB (and the work it
 * triggers) per turn while handshakes and other sockets wait. This keeps a turn as short as
 * with 'data' events.
 */
const MAX_READ_BYTES = 64 * 1024;
/**
 * A frame's own buffer grows with what arrived: room for this many times the bytes received, and
 * for the whole frame once a this-many-th of it is in. An announced size alone costs 16 KiB, and
 * growing copies about a 31st of a big frame (a 1 MiB frame whose header came with its first
 * 64 KiB, the common case, gets its whole buffer at once).
 */
const BODY_GROWTH = 32;

/** Room to hold for a body of `size` bytes of which `received` arrived (always more than `received`). */
function bodyCapacity(received: number, size: number): number {
  if (received * BODY_GROWTH >= size) return size;
  return Math.min(Math.ceil(size / BODY_GROWTH), Math.max(DIRECT_MIN_BYTES, received * BODY_GROWTH));
}

/**
 * Frames from a socket that reads into buffers we choose (Node's `onread`): small frames and
 * headers land in one reused scratch buffer, and the body of a big frame is read by the kernel
 * straight into the frame's own buffer. Compared with `'data'` events, that saves allocating
 * every 64 KiB read and copying every big frame out of the reads. The frame's buffer grows as
 * its bytes arrive (see {@link BODY_GROWTH}): an announced size alone allocates nothing big.
 *
 * A big frame's whole buffer comes from a {@link FrameBufferPool}: a buffer released by an
 * earlier frame's consumer (`releaseFrame`) when one fits, else a new one lent by the pool. A frame
 * that arrived whole in one read is copied out of the scratch buffer: into pooled memory from
 * {@link POOLED_FRAME_BYTES} up, else into a plain copy. Either way a frame returned by
 * {@link read} is never written again by the reader: only its consumer's release lets its memory
 * serve another frame.
 */
export class FrameReader {
  readonly #parser: FrameParser;
  readonly #pool: FrameBufferPool;
  readonly #scratch = new Uint8Array(SCRATCH_BYTES);
  /** The big frame being read in place: room for part or all of its `#size` bytes. */
  #body: Uint8Array | undefined;
  #size = 0;
  #filled = 0;

  constructor(maxFrameBytes: number, pool: FrameBufferPool = framePool) {
    this.#parser = new FrameParser(maxFrameBytes, pool);
    this.#pool = pool;
  }

  /** Bytes of an incomplete frame held so far. */
  get buffered(): number {
    return this.#body === undefined ? this.#parser.buffered : this.#filled;
  }

  /** Changes the frame limit from now on; throws `RangeError` when the frame being read is over it. */
  setLimit(maxFrameBytes: number): void {
    this.#parser.setLimit(maxFrameBytes);
    if (this.#body !== undefined && this.#size > maxFrameBytes) throw new RangeError(`frame of ${this.#size} bytes exceeds the limit of ${maxFrameBytes}`);
  }

  /** Where the next read should put its bytes. */
  target(): Uint8Array {
    return this.#body === undefined ? this.#scratch : this.#body.subarray(this.#filled, this.#filled + MAX_READ_BYTES);
  }

  /**
   * `n` bytes were read into the last {@link target}; returns the frames they complete. Throws
   * like {@link FrameParser.push}.
   */
  read(n: number): Uint8Array[] {
    if (this.#body !== undefined) {
      this.#filled += n;
      if (this.#filled === this.#size) {
        const frame = this.#body;
        this.#body = undefined;
        return [frame];
      }
      if (this.#filled === this.#body.length) this.#body = this.#grow(this.#body.subarray(0, this.#filled));
      return [];
    }
    const scratch = this.#scratch;
    // Whole frames at the start of a read that follows a frame boundary (the common case for
    // small frames) are copied out of the scratch buffer as the parser finds them; it is pushed
    // only what is left (it would have made views, and arrays of them, only to be copied).
    const frames: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      const length = this.#parser.wholeFrameAt(scratch, at, n);
      if (length < 0) break;
      frames.push(this.#copy(scratch, at + FRAME_HEADER_BYTES, length));
      at += FRAME_HEADER_BYTES + length;
    }
    if (at === n) return frames;
    // Frames inside one read are views of the scratch buffer, which the next read overwrites.
    for (const frame of this.#parser.push(scratch.subarray(at, n))) {
      frames.push(frame.buffer === scratch.buffer ? this.#copy(scratch, frame.byteOffset, frame.length) : frame);
    }
    const claimed = this.#parser.claimBody(DIRECT_MIN_BYTES);
    if (claimed !== undefined) {
      this.#size = claimed.size;
      this.#filled = claimed.received.length;
      // A released buffer costs nothing new: the frame gets it whole at once.
      const reused = this.#pool.take(claimed.size);
      if (reused !== undefined) reused.set(claimed.received);
      this.#body = reused ?? this.#grow(claimed.received);
    } else {
      this.#parser.release(scratch.buffer);
    }
    return frames;
  }

  /** A frame of its own for the `length` bytes at `start` of the scratch buffer: pooled memory when it is not small. */
  #copy(scratch: Uint8Array, start: number, length: number): Uint8Array {
    if (length < POOLED_FRAME_BYTES) return scratch.slice(start, start + length);
    const out = this.#pool.take(length) ?? this.#pool.allocate(length);
    out.set(scratch.subarray(start, start + length));
    return out;
  }

  /** A buffer for the current frame with room beyond `received`, which it starts with. */
  #grow(received: Uint8Array): Uint8Array {
    const capacity = bodyCapacity(received.length, this.#size);
    // The whole frame's buffer is lent by the pool (not zeroed: the reads fill every byte);
    // a partial one only ever holds the first bytes until the frame's own replaces it.
    const body = capacity === this.#size ? this.#pool.allocate(capacity) : new Uint8Array(capacity);
    body.set(received);
    return body;
  }
}
