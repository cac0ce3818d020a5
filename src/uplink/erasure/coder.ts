/**
 * The erasure coder the uplink uses: a segment's encrypted bytes in, `n` pieces out, and back
 * from any `k` of them. See docs/erasure-coding.md for the code and the piece layout.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { RedundancyScheme } from '../../metainfo/metabase/types.js';
import { checkRedundancy, pieceSizeFor } from '../../metainfo/redundancy.js';
import { CorruptPieceError, type PieceCheck } from './corruption.js';
import { ErasureEngine, type PieceWords } from './engine.js';
import { wordsOf } from './kernel.js';
import { gatherFromShares, spreadIntoShares } from './layout.js';
import { collectPieces, type NumberedPiece, type PieceInput } from './pieces.js';
import { createSegmentDecoder, decodeStream, encodeStream, type EncodeStreamOptions, type SegmentDecoder, type StreamOptions } from './stream.js';

/** Segment bytes coded per batch of stripes. */
const BATCH_BYTES = 128 * 1024;

/** Options of decoding a segment from its pieces. */
export interface DecodeOptions {
  /**
   * Compare the pieces beyond the `k` used for decoding with a re-encoding and throw
   * {@link CorruptPieceError} when they disagree (naming the bad piece when there are at least
   * `k + 2`). Costs one extra encode of those pieces. Default `false`: extra pieces are ignored.
   */
  readonly verify?: boolean;
}

/** Options of decoding several stripes at once. */
export interface DecodeStripesOptions extends DecodeOptions {
  /**
   * Write the stripes here (it must be long enough) and return a view of it, instead of a new
   * array: a streaming decoder reuses one buffer for every run.
   */
  readonly into?: Uint8Array;
}

/** Reed–Solomon coding of segments under one redundancy scheme. */
export interface ErasureCoder {
  readonly scheme: RedundancyScheme;
  /** `k × shareSize`: the segment bytes one share of every piece covers. */
  readonly stripeSize: number;
  /** Bytes of each piece for a segment of `encryptedSize` bytes (at least one share). */
  pieceSize(encryptedSize: number): number;
  /**
   * The `n` pieces of a segment, by piece number; the segment is zero-padded to whole stripes.
   * Pieces `0..k-1` hold the segment's own bytes.
   */
  encodeSegment(segment: Uint8Array): Uint8Array[];
  /**
   * The `encryptedSize` bytes of a segment from at least `k` of its pieces, all
   * `pieceSize(encryptedSize)` long.
   *
   * @throws FailedPreconditionError with fewer than `k` pieces; InvalidArgumentError for bad
   *   numbers or lengths; CorruptPieceError (with `verify`) when the pieces disagree.
   */
  decodeSegment(pieces: PieceInput, encryptedSize: number, options?: DecodeOptions): Uint8Array;
  /** Whether at least `k` pieces (whole pieces or aligned chunks of them) agree; see {@link PieceCheck}. */
  checkPieces(pieces: PieceInput): PieceCheck;
  /**
   * One chunk per piece for the stripes in `stripes` (segment bytes starting at a stripe
   * boundary). Only the last call for a segment may be shorter than a whole number of stripes;
   * it is zero-padded.
   */
  encodeStripes(stripes: Uint8Array): Uint8Array[];
  /**
   * The stripes held by chunks of at least `k` pieces that cover the same shares, padding
   * included (`chunk length / shareSize × stripeSize` bytes).
   */
  decodeStripes(chunks: PieceInput, options?: DecodeStripesOptions): Uint8Array;
  /**
   * Encodes a segment arriving in chunks, yielding one chunk per piece every `chunkStripes`
   * stripes, so pieces can be sent while the rest is still being read and memory stays bounded.
   */
  encodeStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: EncodeStreamOptions): AsyncGenerator<Uint8Array[], void, undefined>;
  /** A decoder fed with piece chunks stripe run by stripe run; see {@link SegmentDecoder}. */
  createSegmentDecoder(encryptedSize: number, options?: DecodeOptions): SegmentDecoder;
  /** Decodes a segment from a source of aligned piece chunks, yielding its bytes as they come. */
  decodeStream(source: AsyncIterable<PieceInput> | Iterable<PieceInput>, encryptedSize: number, options?: StreamOptions): AsyncGenerator<Uint8Array, void, undefined>;
}

/**
 * A coder for `scheme` (validated like the satellite does: 1 ≤ k ≤ repair ≤ success ≤ n ≤ 255,
 * share size a multiple of 256).
 *
 * @example
 * ```ts
 * const coder = createErasureCoder({ algorithm: 'reed-solomon', shareSize: 256, required: 4, repair: 6, success: 8, total: 10 });
 * const pieces = coder.encodeSegment(encrypted);                 // 10 pieces
 * const survivors = new Map([[1, pieces[1]!], [5, pieces[5]!], [7, pieces[7]!], [9, pieces[9]!]]);
 * coder.decodeSegment(survivors, encrypted.length);              // the same bytes
 * ```
 */
export function createErasureCoder(scheme: RedundancyScheme): ErasureCoder {
  if (scheme.algorithm !== 'reed-solomon') throw new InvalidArgumentError(`"algorithm" must be 'reed-solomon', got ${String(scheme.algorithm)}`);
  checkRedundancy(scheme, 'scheme');
  const { required, total, shareSize } = scheme;
  const engine = new ErasureEngine(required, total, shareSize);
  const stripeSize = required * shareSize;
  const rules = { required, total, shareSize };

  // Work goes batch by batch of stripes so the data just spread (or rebuilt) is still in cache
  // when it is used, and a decode needs scratch space for one batch only.
  const batchStripes = Math.max(1, Math.floor(BATCH_BYTES / stripeSize));
  const batchWords = batchStripes * (shareSize >>> 2);

  const encodeStripes = (stripes: Uint8Array): Uint8Array[] => {
    if (!(stripes instanceof Uint8Array)) throw new InvalidArgumentError('the segment must be a Uint8Array');
    const length = Math.max(1, Math.ceil(stripes.length / stripeSize)) * shareSize;
    const pieces = Array.from({ length: total }, () => new Uint8Array(length));
    const data = pieces.slice(0, required);
    const dataWords = data.map(wordsOf);
    const parityWords = pieces.slice(required).map(wordsOf);
    for (let from = 0; from < length >>> 2; from += batchWords) {
      const to = Math.min(length >>> 2, from + batchWords);
      const segmentFrom = (from / batchWords) * batchStripes * stripeSize;
      const batch = data.map((piece) => piece.subarray(from << 2, to << 2));
      spreadIntoShares(stripes.subarray(segmentFrom, segmentFrom + batchStripes * stripeSize), 0, batch, shareSize);
      engine.encodeParity(dataWords, parityWords, from, to);
    }
    return pieces;
  };

  // Scratch for one batch, reused by every decode (decoding is synchronous): the pieces' words
  // where their bytes do not start on a 4-byte boundary (a view into a received frame seldom
  // does), and the data pieces rebuilt. A copy of a whole unaligned piece, and a new array per
  // batch, were garbage the size of the pieces on every decode from parity.
  const unalignedScratch: Int32Array[] = [];
  const rebuiltScratch: Int32Array[] = [];
  /** Words `[from, to)` of `bytes`: a view when aligned, else copied into scratch slot `slot`. */
  const batchWordsOf = (bytes: Uint8Array, slot: number, from: number, to: number): Int32Array => {
    if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset + (from << 2), to - from);
    const words = (unalignedScratch[slot] ??= new Int32Array(batchWords)).subarray(0, to - from);
    new Uint8Array(words.buffer, words.byteOffset, words.byteLength).set(bytes.subarray(from << 2, to << 2));
    return words;
  };

  /** Fills `out` with the first `out.length` segment bytes the validated `pieces` hold. */
  const decodeInto = (pieces: readonly NumberedPiece[], options: DecodeOptions | undefined, out: Uint8Array): void => {
    const verify = options?.verify === true;
    if (!verify && pieces[required - 1]!.number === required - 1) {
      gatherFromShares(pieces.slice(0, required).map((piece) => piece.bytes), shareSize, out);
      return;
    }
    if (verify) {
      const check = engine.check(pieces.map((piece) => ({ number: piece.number, words: wordsOf(piece.bytes) })));
      if (check.status === 'identified' || check.status === 'detected') throw new CorruptPieceError(check);
    }
    const chosen = pieces.slice(0, required);
    const length = chosen[0]!.bytes.length >>> 2;
    for (let from = 0, at = 0; from < length && at < out.length; from += batchWords, at += batchStripes * stripeSize) {
      const to = Math.min(length, from + batchWords);
      const words: PieceWords[] = chosen.map((piece, slot) => ({ number: piece.number, words: batchWordsOf(piece.bytes, slot, from, to) }));
      const data = engine.reconstruct(words, 0, to - from, rebuiltScratch);
      gatherFromShares(data.map((w) => new Uint8Array(w.buffer, w.byteOffset, w.byteLength)), shareSize, out.subarray(at, at + batchStripes * stripeSize));
    }
  };

  const decodeStripes = (chunks: PieceInput, options?: DecodeStripesOptions): Uint8Array => {
    const pieces = collectPieces(chunks, rules);
    const length = (pieces[0]!.bytes.length / shareSize) * stripeSize;
    const into = options?.into;
    if (into !== undefined && into.length < length) throw new InvalidArgumentError(`"into" holds ${into.length} bytes; the stripes need ${length}`);
    const out = into === undefined ? new Uint8Array(length) : into.subarray(0, length);
    decodeInto(pieces, options, out);
    return out;
  };

  const coder: ErasureCoder = {
    scheme,
    stripeSize,
    pieceSize: (encryptedSize) => pieceSizeFor(checkSize(encryptedSize), scheme),
    encodeSegment: encodeStripes,
    decodeSegment(pieces, encryptedSize, options) {
      const valid = collectPieces(pieces, { ...rules, length: coder.pieceSize(encryptedSize) });
      const out = new Uint8Array(encryptedSize);
      decodeInto(valid, options, out);
      return out;
    },
    checkPieces(pieces) {
      const valid = collectPieces(pieces, rules);
      return engine.check(valid.map((piece) => ({ number: piece.number, words: wordsOf(piece.bytes) })));
    },
    encodeStripes,
    decodeStripes,
    encodeStream: (source, options) => encodeStream({ required, total, shareSize, parityOf: (data, into) => engine.parityOf(data, into) }, source, options),
    createSegmentDecoder: (encryptedSize, options) => createSegmentDecoder({ shareSize, stripeSize, pieceSize: coder.pieceSize, decodeStripes }, encryptedSize, options),
    decodeStream: (source, encryptedSize, options) => decodeStream(coder.createSegmentDecoder(encryptedSize, options), source, options),
  };
  return coder;
}

function checkSize(encryptedSize: number): number {
  if (!Number.isSafeInteger(encryptedSize) || encryptedSize < 0) {
    throw new InvalidArgumentError(`"encryptedSize" must be a non-negative integer, got ${String(encryptedSize)}`);
  }
  return encryptedSize;
}
