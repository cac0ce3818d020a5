/**
 * The code itself, on pieces viewed as 32-bit words: parity from data, data from any `k`
 * pieces (with the inverted matrix cached per erasure pattern), and the consistency check with
 * leave-one-out identification. Public wrappers in coder.ts deal with bytes and layout.
 */
import { InternalError } from '../../core/errors.js';
import type { PieceCheck } from './corruption.js';
import { applyMatrix, firstDifference, wordsOf } from './kernel.js';
import { invert, selectRows, systematicGenerator, type GfMatrix } from './matrix.js';

/** A piece as words; all pieces handed to one call cover the same stripes. */
export interface PieceWords {
  readonly number: number;
  readonly words: Int32Array;
}

/** How to rebuild the data pieces missing from one choice of `k` pieces. */
interface DecodePlan {
  /** Data piece numbers not among the chosen pieces, ascending. */
  readonly missing: readonly number[];
  /** `missing.length × k`: rows of the inverse of the chosen pieces' generator rows. */
  readonly coefficients: Uint8Array;
}

/** Distinct erasure patterns kept; downloads of one segment reuse the same few. */
const PLAN_CACHE_SIZE = 64;

export class ErasureEngine {
  readonly required: number;
  readonly total: number;
  /** Words per share. */
  readonly shareWords: number;
  readonly #generator: GfMatrix;
  /** The generator's parity rows, `(n − k) × k`. */
  readonly #parity: Uint8Array;
  readonly #plans = new Map<string, DecodePlan>();

  constructor(required: number, total: number, shareSize: number) {
    this.required = required;
    this.total = total;
    this.shareWords = shareSize >>> 2;
    this.#generator = systematicGenerator(required, total);
    this.#parity = this.#generator.data.subarray(required * required);
  }

  /** Fills words `[from, to)` of the `n − k` parity arrays from the `k` data arrays. */
  encodeParity(data: readonly Int32Array[], parity: readonly Int32Array[], from: number, to: number): void {
    applyMatrix(this.#parity, data, parity, from, to);
  }

  /**
   * The `n − k` parity arrays for `k` equally long data arrays (4-byte aligned, as allocated),
   * written into `into` when given (as long as the data, 4-byte aligned; old bytes are overwritten).
   */
  parityOf(data: readonly Uint8Array[], into?: readonly Uint8Array[]): Uint8Array[] {
    const length = data[0]!.length;
    if (into !== undefined && (into.length !== this.total - this.required || into.some((p) => p.length !== length || p.byteOffset % 4 !== 0))) {
      throw new RangeError(`parityOf: ${this.total - this.required} aligned arrays of ${length} bytes expected`);
    }
    const parity = into ? [...into] : Array.from({ length: this.total - this.required }, () => new Uint8Array(length));
    this.encodeParity(data.map(wordsOf), parity.map(wordsOf), 0, length >>> 2);
    return parity;
  }

  /**
   * Words `[from, to)` of the `k` data pieces, rebuilt from the first `k` of `pieces` (sorted by
   * number, so present data pieces are used as they are and only missing ones are computed).
   * With `scratch`, missing pieces are rebuilt into its arrays (grown or added as needed and
   * kept there for the next call; the result holds views of them) instead of new ones.
   */
  reconstruct(pieces: readonly PieceWords[], from = 0, to = pieces[0]!.words.length, scratch?: Int32Array[]): Int32Array[] {
    const basis = pieces.slice(0, this.required).map((piece) => ({ number: piece.number, words: piece.words.subarray(from, to) }));
    const plan = this.#plan(basis.map((piece) => piece.number));
    const rebuilt = plan.missing.map((_, i) => {
      if (scratch === undefined) return new Int32Array(to - from);
      if ((scratch[i]?.length ?? -1) < to - from) scratch[i] = new Int32Array(to - from);
      return scratch[i]!.subarray(0, to - from);
    });
    applyMatrix(plan.coefficients, basis.map((piece) => piece.words), rebuilt, 0, to - from);
    const data: Int32Array[] = [];
    for (const piece of basis) if (piece.number < this.required) data[piece.number] = piece.words;
    plan.missing.forEach((number, i) => (data[number] = rebuilt[i]!));
    return data;
  }

  /** What `pieces` (sorted, at least `k`) look like together; see {@link PieceCheck}. */
  check(pieces: readonly PieceWords[]): PieceCheck {
    if (pieces.length === this.required) return { status: 'unchecked' };
    const mismatch = this.#firstMismatch(pieces);
    if (mismatch < 0) return { status: 'consistent' };
    const everyone = pieces.map((piece) => piece.number);
    if (pieces.length < this.required + 2) return { status: 'detected', corrupt: [], suspects: everyone };

    // Leave one out on the share where they first disagree: exactly one piece whose removal
    // makes the rest agree there is the bad one (the rest still hold k + 1 pieces to compare).
    const start = mismatch - (mismatch % this.shareWords);
    const share = pieces.map((piece) => ({ number: piece.number, words: piece.words.subarray(start, start + this.shareWords) }));
    const culprits = share.filter((left) => this.#firstMismatch(share.filter((piece) => piece !== left)) < 0);
    if (culprits.length !== 1) return { status: 'detected', corrupt: [], suspects: everyone };
    const bad = culprits[0]!.number;
    const rest = this.check(pieces.filter((piece) => piece.number !== bad));
    switch (rest.status) {
      case 'identified':
        return { status: 'identified', corrupt: [bad, ...rest.corrupt] };
      case 'detected':
        return { status: 'detected', corrupt: [bad, ...rest.corrupt], suspects: rest.suspects };
      default:
        return { status: 'identified', corrupt: [bad] };
    }
  }

  /** The first word where the pieces beyond the first `k` differ from a re-encoding, or -1. */
  #firstMismatch(pieces: readonly PieceWords[]): number {
    const extras = pieces.slice(this.required);
    const length = pieces[0]!.words.length;
    const expected = extras.map(() => new Int32Array(length));
    applyMatrix(selectRows(this.#generator, extras.map((piece) => piece.number)).data, this.reconstruct(pieces), expected, 0, length);
    let first = -1;
    extras.forEach((piece, i) => {
      const at = firstDifference(piece.words, expected[i]!, 0, first < 0 ? length : first);
      if (at >= 0) first = at;
    });
    return first;
  }

  #plan(numbers: readonly number[]): DecodePlan {
    const key = numbers.join(',');
    const cached = this.#plans.get(key);
    if (cached !== undefined) {
      // Re-insert so the Map's order is least recently used first.
      this.#plans.delete(key);
      this.#plans.set(key, cached);
      return cached;
    }
    const inverse = invert(selectRows(this.#generator, numbers));
    if (inverse === undefined) throw new InternalError(`generator rows ${key} are singular; the code is not MDS`);
    const present = new Set(numbers);
    const missing: number[] = [];
    for (let j = 0; j < this.required; j++) if (!present.has(j)) missing.push(j);
    const plan: DecodePlan = { missing, coefficients: selectRows(inverse, missing).data };
    this.#plans.set(key, plan);
    if (this.#plans.size > PLAN_CACHE_SIZE) this.#plans.delete(this.#plans.keys().next().value!);
    return plan;
  }
}
