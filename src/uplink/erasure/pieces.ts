/** Validation of the pieces handed to a decoder: numbers, duplicates, lengths, count. */
import { FailedPreconditionError, InvalidArgumentError } from '../../core/errors.js';

/**
 * Pieces by piece number: a `Map<number, Uint8Array>`, an array of `[number, bytes]` pairs, or
 * any iterable of such pairs.
 */
export type PieceInput = Iterable<readonly [number, Uint8Array]>;

/** One piece after validation. */
export interface NumberedPiece {
  readonly number: number;
  readonly bytes: Uint8Array;
}

export interface PieceRules {
  readonly required: number;
  readonly total: number;
  readonly shareSize: number;
  /** The exact length every piece must have, when known (a whole segment). */
  readonly length?: number;
}

/**
 * The pieces sorted by number, after checking that numbers are in `[0, total)` and distinct,
 * that every piece has the same length, a whole number of shares (and `rules.length` when
 * given), and that there are at least `required` of them.
 *
 * @throws InvalidArgumentError for malformed input, FailedPreconditionError for too few pieces.
 */
export function collectPieces(input: PieceInput, rules: PieceRules): NumberedPiece[] {
  const pieces: NumberedPiece[] = [];
  const seen = new Set<number>();
  for (const entry of input) {
    const [number, bytes] = entry;
    if (!Number.isInteger(number) || number < 0 || number >= rules.total) {
      throw new InvalidArgumentError(`piece number ${String(number)} is outside 0..${rules.total - 1}`);
    }
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`piece ${number} is not a Uint8Array`);
    if (seen.has(number)) throw new InvalidArgumentError(`piece ${number} is given twice`);
    seen.add(number);
    pieces.push({ number, bytes });
  }
  pieces.sort((a, b) => a.number - b.number);
  const first = pieces[0];
  if (first !== undefined) {
    const expected = rules.length ?? first.bytes.length;
    for (const piece of pieces) {
      if (piece.bytes.length !== expected) {
        const reference = rules.length === undefined ? `piece ${first.number} has ${expected}` : `expected ${expected}`;
        throw new InvalidArgumentError(`pieces have inconsistent lengths: piece ${piece.number} has ${piece.bytes.length} bytes, ${reference}`);
      }
    }
    if (expected === 0 || expected % rules.shareSize !== 0) {
      throw new InvalidArgumentError(`piece length ${expected} is not a positive multiple of the share size ${rules.shareSize}`);
    }
  }
  if (pieces.length < rules.required) {
    throw new FailedPreconditionError(`need ${rules.required} pieces, have ${pieces.length}`);
  }
  return pieces;
}
