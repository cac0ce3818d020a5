/**
 * Telling a corrupt piece from a good one. Two independent ways:
 * - by hash: a piece's SHA-256 against the hash signed when it was stored ({@link verifyPiece});
 * - by consistency: with more than `k` pieces, decode from `k` and re-encode the others; they
 *   must agree. With `k + 2` or more pieces, leaving one piece out at a time shows which one is
 *   bad (see {@link PieceCheck}).
 */
import { equalBytes } from '../../core/bytes.js';
import { HandoffError, type HandoffErrorOptions } from '../../core/errors.js';
import { getCryptoProvider } from '../../crypto/select.js';

/**
 * What a consistency check of a set of pieces found.
 * - `consistent`: more than `k` pieces and every one agrees with the others;
 * - `unchecked`: exactly `k` pieces: any `k` pieces form a valid code word, so there is
 *   nothing to compare (use {@link verifyPiece} with the stored hashes);
 * - `identified`: the pieces in `corrupt` are bad and all the others agree;
 * - `detected`: the pieces disagree; `corrupt` lists those identified so far (maybe none) and
 *   at least one of `suspects` is also bad. Identifying needs two more pieces than `k` per bad
 *   piece to be found.
 *
 * Identification finds one bad piece at a time by leave-one-out on the first share where the
 * pieces disagree; it is exact when at most one piece is bad in that share. With more bad
 * pieces than the extra pieces can correct it usually reports `detected`, but (like any
 * decoder past its correction radius) it can name a wrong piece; piece hashes settle it.
 */
export type PieceCheck =
  | { readonly status: 'consistent' }
  | { readonly status: 'unchecked' }
  | { readonly status: 'identified'; readonly corrupt: readonly number[] }
  | { readonly status: 'detected'; readonly corrupt: readonly number[]; readonly suspects: readonly number[] };

/**
 * Pieces that do not decode to one segment: a node returned bytes other than the ones it was
 * given. `corrupt` names pieces shown to be bad; `suspects` the ones that disagree when no
 * (further) bad piece could be singled out. Its `code` is `InvalidArgument`, like a
 * `DecodeError`: the input is not a valid encoding.
 *
 * @example
 * ```ts
 * try { coder.decodeSegment(pieces, size, { verify: true }) } catch (err) {
 *   if (err instanceof Error && err.name === 'CorruptPieceError') {
 *     for (const bad of (err as CorruptPieceError).corrupt) pieces.delete(bad); // and retry
 *   }
 * }
 * ```
 */
export class CorruptPieceError extends HandoffError {
  declare readonly code: 'InvalidArgument';
  readonly corrupt: readonly number[];
  readonly suspects: readonly number[];

  constructor(check: Extract<PieceCheck, { corrupt: readonly number[] }>, options?: HandoffErrorOptions) {
    const suspects = check.status === 'detected' ? check.suspects : [];
    const named = check.corrupt.length > 0 ? `piece${check.corrupt.length > 1 ? 's' : ''} ${check.corrupt.join(', ')} ${check.corrupt.length > 1 ? 'are' : 'is'} corrupt` : '';
    const undecided = suspects.length > 0 ? `pieces ${suspects.join(', ')} disagree and at least one is corrupt (two pieces more than required are needed to tell which)` : '';
    super('InvalidArgument', [named, undecided].filter((part) => part !== '').join('; '), options);
    this.name = 'CorruptPieceError';
    this.corrupt = check.corrupt;
    this.suspects = suspects;
  }
}

/**
 * SHA-256 of a piece's bytes, as signed in its piece hash.
 *
 * @example
 * ```ts
 * const hash = pieceHash(pieces[3]); // 32 bytes
 * ```
 */
export function pieceHash(piece: Uint8Array): Uint8Array {
  return getCryptoProvider().sha256(piece);
}

/**
 * True when `piece` hashes to `expectedHash` (its signed piece hash). Check a downloaded piece
 * this way before handing it to the decoder: a corrupt piece would otherwise decode to wrong
 * bytes without any error when exactly `k` pieces are used.
 *
 * @example
 * ```ts
 * if (!verifyPiece(bytes, signedHash.hash)) throw new CorruptPieceError({ status: 'identified', corrupt: [number] });
 * ```
 */
export function verifyPiece(piece: Uint8Array, expectedHash: Uint8Array): boolean {
  return equalBytes(pieceHash(piece), expectedHash);
}
