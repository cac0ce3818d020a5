import { FrameParser } from './frame-parser.js';

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
 * Frames from a socket that reads into buffers we choose (Node's `onread`): small frames and
 * headers land in one reused scratch buffer, and the body of a big frame is read by the kernel
 * straight into the frame's own buffer. Compared with `'data'` events, that saves allocating
 * every 64 KiB read and copying every big frame out of the reads.
 */
export class FrameReader {
  readonly #parser: FrameParser;
  readonly #scratch = new Uint8Array(SCRATCH_BYTES);
  #body: Uint8Array | undefined;
  #filled = 0;

  constructor(maxFrameBytes: number) {
    this.#parser = new FrameParser(maxFrameBytes);
  }

  /** Bytes of an incomplete frame held so far. */
  get buffered(): number {
    return this.#body === undefined ? this.#parser.buffered : this.#filled;
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
      if (this.#filled < this.#body.length) return [];
      const frame = this.#body;
      this.#body = undefined;
      return [frame];
    }
    const scratch = this.#scratch;
    // Frames inside one read are views of the scratch buffer, which the next read overwrites.
    const frames = this.#parser.push(scratch.subarray(0, n)).map((frame) => (frame.buffer === scratch.buffer ? frame.slice() : frame));
    const claimed = this.#parser.claimBody(DIRECT_MIN_BYTES);
    if (claimed !== undefined) {
      this.#body = claimed.body;
      this.#filled = claimed.filled;
    } else {
      this.#parser.release(scratch.buffer);
    }
    return frames;
  }
}
