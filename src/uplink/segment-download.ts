/**
 * One segment's plaintext range: fetch only the stripes that cover the encrypted blocks of the
 * range, decode them from the fastest `required` pieces as they arrive, and authenticate every
 * block. The uplink has no hashes of the pieces, so a lying node shows up as blocks that fail
 * AES-GCM authentication: then it fetches every piece it can under fresh limits, singles out
 * the bad ones (pieces that disagree, or sets that do not authenticate) and decodes again.
 * Garbage is never returned.
 */
import { DecodeError, UnauthenticatedError, isHandoffError } from '../core/errors.js';
import type { SegmentDownloadInfo } from '../metainfo/schemas.js';
import type { UplinkContext } from './context.js';
import type { ErasureCoder } from './erasure/index.js';
import { blockRangeFor, decryptSegmentRange, SegmentOpener, unwrapKey, type BlockRange } from './encryption/index.js';
import { fetchPieces, type PieceLocation } from './piece-fetch.js';
import { downloadStripes } from './stripe-download.js';

export interface SegmentRangeRequest {
  readonly segment: SegmentDownloadInfo;
  /** Plaintext range within the segment. */
  readonly offset: number;
  readonly length: number;
  /** The object's path content key (unwraps the segment's content key). */
  readonly wrappingKey: Uint8Array;
  readonly blockSize: number;
  /** Fresh GET limits for this segment (a limit's serial is spent once used). */
  refreshLimits(): Promise<SegmentDownloadInfo>;
  readonly signal?: AbortSignal | undefined;
  /** Where to write the plaintext (`length` bytes); default a new array. */
  readonly into?: Uint8Array | undefined;
}

/** Which piece bytes hold the encrypted blocks of a range. */
interface StripeWindow {
  readonly pieceOffset: number;
  readonly pieceLength: number;
  /** Where the blocks start in the decoded stripes. */
  readonly skip: number;
}

function stripeWindow(coder: ErasureCoder, blocks: BlockRange): StripeWindow {
  const { stripeSize } = coder;
  const { shareSize } = coder.scheme;
  const first = Math.floor(blocks.encryptedOffset / stripeSize);
  const end = Math.ceil((blocks.encryptedOffset + blocks.encryptedLength) / stripeSize);
  return { pieceOffset: first * shareSize, pieceLength: (end - first) * shareSize, skip: blocks.encryptedOffset - first * stripeSize };
}

const isCorruption = (err: unknown): boolean => isHandoffError(err, 'Unauthenticated') || (err instanceof Error && err.name === 'CorruptPieceError');

function locationsOf(info: SegmentDownloadInfo): PieceLocation[] {
  return (info.limits ?? []).map((l) => ({ pieceNumber: l.pieceNumber, limit: l.limit, address: l.address }));
}

/** Downloads and decrypts `request.length` plaintext bytes of a segment from `request.offset`. */
export async function downloadSegmentRange(ctx: UplinkContext, request: SegmentRangeRequest): Promise<Uint8Array> {
  const { segment, offset, length, blockSize } = request;
  const position = segment.position;
  const what = `segment ${position.part}.${position.index}`;
  const out = request.into ?? new Uint8Array(length);
  if (length === 0) return out;
  // A wrong root key fails here, before any piece is fetched.
  const contentKey = unwrapKey(request.wrappingKey, segment.encryptedKey, segment.encryptedKeyNonce, `content key of ${what}`);
  try {
    const blocks = blockRangeFor(segment.plainSize, offset, length, blockSize);
    const open = (sealed: Uint8Array): void => out.set(decryptSegmentRange(contentKey, sealed, segment.plainSize, offset, length, { blockSize, position }));
    if (segment.inlineData !== undefined) {
      open(segment.inlineData.subarray(blocks.encryptedOffset, blocks.encryptedOffset + blocks.encryptedLength));
      return out;
    }
    if (segment.redundancy === undefined) throw new DecodeError(`${what} has neither inline data nor a redundancy scheme`);
    const coder = ctx.coder(segment.redundancy);
    const window = stripeWindow(coder, blocks);
    try {
      await streamRange(ctx, request, contentKey, coder, window, blocks, out, what);
    } catch (err) {
      if (!isCorruption(err)) throw err;
      // Some piece is bad. Fetch every piece we can (under fresh limits), then find it.
      const fresh = await request.refreshLimits();
      const all = locationsOf(fresh);
      const pieces = await fetchPieces(ctx, all, {
        offset: window.pieceOffset,
        length: window.pieceLength,
        wanted: all.length,
        minimum: coder.scheme.required,
        extra: 0,
        piecePrivateKey: fresh.piecePrivateKey!,
        signal: request.signal,
        what,
      });
      recover(coder, pieces, (chosen) => open(coder.decodeStripes(chosen).subarray(window.skip, window.skip + blocks.encryptedLength)), what, err);
    }
    return out;
  } finally {
    contentKey.fill(0);
  }
}

/** The fast path: stripes decoded as they stream in, blocks opened as they complete, written to `out`. */
async function streamRange(ctx: UplinkContext, request: SegmentRangeRequest, contentKey: Uint8Array, coder: ErasureCoder, window: StripeWindow, blocks: BlockRange, out: Uint8Array, what: string): Promise<void> {
  const { segment, blockSize } = request;
  const opener = new SegmentOpener(contentKey, segment.plainSize, { blockSize, position: segment.position, firstBlock: blocks.firstBlock, blockCount: blocks.blockCount });
  let skip = window.skip;
  let sealedLeft = blocks.encryptedLength;
  let plainSkip = blocks.skip;
  let written = 0;
  await downloadStripes(ctx, {
    coder,
    locations: locationsOf(segment),
    piecePrivateKey: segment.piecePrivateKey!,
    pieceOffset: window.pieceOffset,
    pieceLength: window.pieceLength,
    extra: ctx.settings.extraDownloadPieces,
    signal: request.signal,
    what,
    onStripes(stripes) {
      let sealed = stripes.subarray(Math.min(skip, stripes.length));
      skip -= stripes.length - sealed.length;
      sealed = sealed.subarray(0, sealedLeft);
      sealedLeft -= sealed.length;
      if (sealed.length === 0) return;
      for (const plain of opener.push(sealed)) {
        const useful = plain.subarray(plainSkip, plainSkip + (out.length - written));
        plainSkip = 0;
        out.set(useful, written);
        written += useful.length;
      }
    },
  });
  opener.finish();
  if (written !== out.length) throw new UnauthenticatedError(`${what}: decrypted ${written} of ${out.length} bytes`);
}

/**
 * Decodes from pieces of which some are corrupt: first drops the pieces a consistency check
 * names, then tries leaving out one piece at a time, taking the first set whose blocks
 * authenticate.
 */
function recover(coder: ErasureCoder, pieces: Map<number, Uint8Array>, decode: (pieces: Iterable<readonly [number, Uint8Array]>) => void, what: string, first: unknown): void {
  const { required } = coder.scheme;
  if (pieces.size > required) {
    const check = coder.checkPieces(pieces);
    if (check.status === 'identified' || check.status === 'detected') for (const bad of check.corrupt) pieces.delete(bad);
  }
  const attempts: Array<Map<number, Uint8Array>> = [pieces];
  if (pieces.size > required) for (const left of pieces.keys()) attempts.push(new Map([...pieces].filter(([n]) => n !== left)));
  let last = first;
  for (const attempt of attempts) {
    if (attempt.size < required) continue;
    try {
      return decode(attempt);
    } catch (err) {
      if (!isCorruption(err)) throw err;
      last = err;
    }
  }
  throw new UnauthenticatedError(`${what}: no ${required} of the ${pieces.size} pieces that could be fetched decode to authentic data; nodes returned corrupt pieces`, { cause: last });
}
