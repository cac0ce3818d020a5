/**
 * Streaming forms of the coder: an upload encodes a segment as it is read and sends piece
 * chunks right away; a download decodes stripes as piece chunks arrive. Memory stays at one
 * batch of stripes per direction, whatever the segment size.
 */
import { throwIfAborted } from '../../core/abort.js';
import { FailedPreconditionError, InvalidArgumentError } from '../../core/errors.js';
import type { DecodeOptions } from './coder.js';
import type { ChunkPool } from './chunk-pool.js';
import { spreadIntoShares } from './layout.js';
import type { PieceInput } from './pieces.js';

/** Segment bytes per batch when `chunkStripes` is not given. */
const DEFAULT_BATCH_BYTES = 256 * 1024;

/** Options of decoding a segment from streams of pieces. */
export interface StreamOptions extends DecodeOptions {
  /** Stops the stream with a `CanceledError` between chunks. */
  readonly signal?: AbortSignal;
}

/** Options of encoding a segment as a stream of pieces. */
export interface EncodeStreamOptions {
  /** Stripes per yielded batch; default: as many as fit in 256 KiB of segment bytes. */
  readonly chunkStripes?: number;
  readonly signal?: AbortSignal;
  /**
   * Where the chunk arrays come from (default: new ones every batch). A pool's arrays hold old
   * bytes; every byte of a yielded chunk is still written. Every chunk yielded belongs to the
   * consumer, who may give it back (see {@link ChunkPool}) once nothing reads it any more.
   */
  readonly pool?: ChunkPool;
}

/** What {@link encodeStream} needs from a coder. */
export interface StripeEncoding {
  readonly required: number;
  readonly total: number;
  readonly shareSize: number;
  /** Parity of `data`, written into `into` (`n − k` arrays as long as the data) when given. */
  parityOf(data: readonly Uint8Array[], into?: readonly Uint8Array[]): Uint8Array[];
}

/**
 * Yields, for every `chunkStripes` stripes of the bytes read from `source`, an array of `n`
 * chunks (index = piece number); the last batch is zero-padded to whole stripes, and an empty
 * source still yields one stripe (a piece is never empty). Concatenating the chunks of piece
 * `i` gives piece `i` of `encodeSegment` of the same bytes.
 */
export async function* encodeStream(coding: StripeEncoding, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: EncodeStreamOptions = {}): AsyncGenerator<Uint8Array[], void, undefined> {
  const { required, shareSize } = coding;
  const total = coding.total;
  const stripeSize = required * shareSize;
  const chunkStripes = options.chunkStripes ?? Math.max(1, Math.floor(DEFAULT_BATCH_BYTES / stripeSize));
  if (!Number.isSafeInteger(chunkStripes) || chunkStripes < 1) throw new InvalidArgumentError(`"chunkStripes" must be a positive integer, got ${chunkStripes}`);
  const batchBytes = chunkStripes * stripeSize;
  const chunkBytes = chunkStripes * shareSize;
  const pool = options.pool;
  const fresh = () => Array.from({ length: required }, () => (pool ? pool.lend(chunkBytes) : new Uint8Array(chunkBytes)));
  const parityOf = (pieces: readonly Uint8Array[]): Uint8Array[] => {
    if (!pool) return coding.parityOf(pieces);
    const length = pieces[0]!.length;
    const into = Array.from({ length: total - required }, () => pool.lend(chunkBytes).subarray(0, length));
    return coding.parityOf(pieces, into);
  };

  let data = fresh();
  let filled = 0;
  let yielded = false;
  throwIfAborted(options.signal);
  for await (const bytes of source) {
    throwIfAborted(options.signal);
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('segment chunks must be Uint8Arrays');
    let read = 0;
    while (read < bytes.length) {
      const run = Math.min(batchBytes - filled, bytes.length - read);
      spreadIntoShares(bytes.subarray(read, read + run), filled, data, shareSize);
      read += run;
      filled += run;
      if (filled === batchBytes) {
        yield [...data, ...parityOf(data)];
        yielded = true;
        data = fresh();
        filled = 0;
        throwIfAborted(options.signal);
      }
    }
  }
  if (filled > 0 || !yielded) {
    const length = Math.max(1, Math.ceil(filled / stripeSize)) * shareSize;
    // Pooled arrays hold old bytes where the padding goes: write its zeros.
    if (pool) spreadIntoShares(new Uint8Array((length / shareSize) * stripeSize - filled), filled, data, shareSize);
    const last = data.map((piece) => piece.subarray(0, length));
    yield [...last, ...parityOf(last)];
  }
}

/**
 * Decodes one segment from piece chunks pushed in order: each push holds chunks of at least `k`
 * pieces covering the same shares, starting where the previous push ended (which pieces are
 * used may change between pushes, as when a node fails mid-download).
 *
 * @example
 * ```ts
 * const decoder = coder.createSegmentDecoder(encryptedSize);
 * for await (const chunks of alignedChunks) output.write(decoder.push(chunks));
 * if (!decoder.done) throw new Error('short download');
 * ```
 */
export interface SegmentDecoder {
  /** The segment bytes the chunks hold (padding past `encryptedSize` removed). */
  push(chunks: PieceInput): Uint8Array;
  /** Bytes of each piece not pushed yet. */
  readonly remaining: number;
  /** True once whole pieces have been pushed. */
  readonly done: boolean;
}

/** What {@link createSegmentDecoder} needs from a coder. */
export interface StripeDecoding {
  readonly shareSize: number;
  readonly stripeSize: number;
  pieceSize(encryptedSize: number): number;
  decodeStripes(chunks: PieceInput, options?: DecodeOptions): Uint8Array;
}

/** See {@link SegmentDecoder}. */
export function createSegmentDecoder(coding: StripeDecoding, encryptedSize: number, options?: DecodeOptions): SegmentDecoder {
  const pieceSize = coding.pieceSize(encryptedSize);
  let pushed = 0;
  let produced = 0;
  return {
    push(chunks) {
      const stripes = coding.decodeStripes(chunks, options);
      const length = (stripes.length / coding.stripeSize) * coding.shareSize;
      if (pushed + length > pieceSize) {
        throw new InvalidArgumentError(`chunks of ${length} bytes run past the end of the pieces (${pieceSize - pushed} bytes left)`);
      }
      pushed += length;
      const wanted = Math.min(stripes.length, encryptedSize - produced);
      produced += wanted;
      return stripes.subarray(0, wanted);
    },
    get remaining() {
      return pieceSize - pushed;
    },
    get done() {
      return pushed === pieceSize;
    },
  };
}

/**
 * Yields the segment bytes decoded from each group of aligned chunks read from `source`.
 *
 * @throws FailedPreconditionError when `source` ends before the pieces do.
 */
export async function* decodeStream(decoder: SegmentDecoder, source: AsyncIterable<PieceInput> | Iterable<PieceInput>, options: StreamOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  throwIfAborted(options.signal);
  for await (const chunks of source) {
    throwIfAborted(options.signal);
    const bytes = decoder.push(chunks);
    if (bytes.length > 0) yield bytes;
  }
  if (!decoder.done) throw new FailedPreconditionError(`the piece chunks ended ${decoder.remaining} bytes before the end of the pieces`);
}
