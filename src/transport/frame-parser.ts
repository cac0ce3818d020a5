import { framePool, type FrameBufferPool } from './frame-pool.js';

/** Frames joined from chunks take pooled memory from this size up (smaller ones are cheap). */
export const POOLED_FRAME_BYTES = 16 * 1024;

/** Bytes of a frame's length header, which precede its body. */
export const FRAME_HEADER_BYTES = 4;

/** A length header that announces no frame but a reset by the peer (TLS cannot send an RST). */
export const RESET_MARKER = 0xffffffff;

/** Thrown by {@link FrameParser.push} when the peer sent {@link RESET_MARKER}. */
export class PeerResetSignal extends Error {}

/**
 * Held chunks beyond this many are merged when they average under {@link SMALL_CHUNK_BYTES}: a
 * peer trickling a frame a byte per packet would otherwise pin an object per byte.
 */
const MAX_HELD_CHUNKS = 64;
const SMALL_CHUNK_BYTES = 4096;

/**
 * Splits a byte stream into length-prefixed frames: a 4-byte big-endian length, then that many
 * bytes. The length is checked against the limit as soon as its 4 bytes arrive — before any
 * body is buffered — so an oversized frame costs the receiver nothing.
 */
export class FrameParser {
  #maxFrameBytes: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #need = -1;

  readonly #pool: FrameBufferPool;

  /** `pool`: where frames joined from several chunks get their memory (see {@link push}). */
  constructor(maxFrameBytes: number, pool: FrameBufferPool = framePool) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#pool = pool;
  }

  /**
   * Changes the limit for frames from now on. Throws `RangeError` when the frame being received
   * was announced larger than the new limit.
   */
  setLimit(maxFrameBytes: number): void {
    this.#maxFrameBytes = maxFrameBytes;
    if (this.#need > maxFrameBytes) throw new RangeError(`frame of ${this.#need} bytes exceeds the limit of ${maxFrameBytes}`);
  }

  /**
   * Feeds bytes; returns the frames they complete. Throws `RangeError` with the declared size
   * when a frame exceeds the limit. Frames that lie inside one chunk are views of it (no copy);
   * the caller must hand in chunks it will not reuse (Node socket chunks are fresh buffers).
   * A frame of {@link POOLED_FRAME_BYTES} or more joined from several chunks is in memory lent by
   * the frame pool, which its consumer may hand back (`releaseFrame`).
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    if (chunk.length === 0) return frames;
    // Plain views: frames handed upward are Uint8Arrays, never Node Buffers.
    this.#chunks.push(chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < FRAME_HEADER_BYTES) break;
        this.#need = checkedLength(this.#take(FRAME_HEADER_BYTES), 0, this.#maxFrameBytes);
      }
      if (this.#buffered < this.#need) break;
      frames.push(this.#take(this.#need, true));
      this.#need = -1;
    }
    if (this.#chunks.length > MAX_HELD_CHUNKS && this.#buffered < this.#chunks.length * SMALL_CHUNK_BYTES) {
      const held = this.#buffered;
      this.#chunks = [this.#take(held)];
      this.#buffered = held;
    }
    return frames;
  }

  /**
   * For a reader that keeps its bytes in a buffer of its own and pushes only what it cannot use
   * in place: the body length of the whole frame whose header is at `at` of `bytes` (read up to
   * `end`; the body follows the header's {@link FRAME_HEADER_BYTES}), or -1 when those bytes hold
   * less than a whole frame or the parser holds bytes (they continue a frame: push them). Throws
   * like {@link push} for the header. Changes nothing.
   */
  wholeFrameAt(bytes: Uint8Array, at: number, end: number): number {
    if (this.#need >= 0 || this.#buffered > 0 || end - at < FRAME_HEADER_BYTES) return -1;
    const length = checkedLength(bytes, at, this.#maxFrameBytes);
    return end - at - FRAME_HEADER_BYTES < length ? -1 : length;
  }

  /** Bytes of an incomplete frame held so far. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Hands over the frame being received, when its header is in and at least `minMissing` body
   * bytes are still to come: returns the body's announced `size` and the bytes `received` so far
   * (possibly views of the caller's chunks), for the caller to gather the rest; the parser then
   * expects the next header. Otherwise `undefined`.
   */
  claimBody(minMissing: number): { size: number; received: Uint8Array } | undefined {
    if (this.#need < 0 || this.#need - this.#buffered < minMissing) return undefined;
    const size = this.#need;
    const received = this.#take(this.#buffered);
    this.#need = -1;
    return { size, received };
  }

  /** Copies the held bytes that are views into `buffer`, so the caller may overwrite it. */
  release(buffer: ArrayBufferLike): void {
    for (let i = 0; i < this.#chunks.length; i++) if (this.#chunks[i]!.buffer === buffer) this.#chunks[i] = this.#chunks[i]!.slice();
  }

  /** The next `n` held bytes: a view when one chunk holds them, else a join (for a whole frame, in pooled memory). */
  #take(n: number, frame = false): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return out;
    }
    // A frame joined from several chunks is the only thing in its memory, so its consumer may
    // hand it back (see frame-pool.ts); the other joins (held bytes merged) are not frames.
    const out = frame && n >= POOLED_FRAME_BYTES ? (this.#pool.take(n) ?? this.#pool.allocate(n)) : uninitialized(n);
    let offset = 0;
    while (offset < n) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(chunk.length, n - offset);
      out.set(take === chunk.length ? chunk : chunk.subarray(0, take), offset);
      offset += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#buffered -= n;
    return out;
  }
}

/**
 * `n` bytes for a frame about to be copied together from several chunks: on Node not zeroed
 * first (every byte is overwritten at once — zeroing a 1 MiB frame cost as much as copying it);
 * elsewhere (browsers) a plain, zeroed array.
 */
function uninitialized(n: number): Uint8Array {
  const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;
  if (NodeBuffer === undefined) return new Uint8Array(n);
  return new Uint8Array(NodeBuffer.allocUnsafeSlow(n).buffer, 0, n);
}

/**
 * The length in the 4-byte header at `at` of `bytes`. Throws {@link PeerResetSignal} for the
 * reset marker, `RangeError` when the length is over `limit`.
 */
function checkedLength(bytes: Uint8Array, at: number, limit: number): number {
  const length = ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
  if (length === RESET_MARKER) throw new PeerResetSignal('connection reset by peer');
  if (length > limit) throw new RangeError(`frame of ${length} bytes exceeds the limit of ${limit}`);
  return length;
}

/** The 4-byte big-endian length header for a frame of `length` bytes. */
export function frameHeader(length: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  header[0] = length >>> 24;
  header[1] = (length >>> 16) & 0xff;
  header[2] = (length >>> 8) & 0xff;
  header[3] = length & 0xff;
  return header;
}
