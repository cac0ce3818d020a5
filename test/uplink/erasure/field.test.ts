import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gfDiv, gfInv, gfLaneTables, gfMul, gfPow } from '../../../src/uplink/erasure/gf256.js';
import { invert, multiply, selectRows, systematicGenerator } from '../../../src/uplink/erasure/matrix.js';

const element = fc.integer({ min: 0, max: 255 });
const nonZero = fc.integer({ min: 1, max: 255 });

/** Multiplication the slow way: carry-less product reduced by x^8 + x^4 + x^3 + x^2 + 1. */
function schoolbookMul(a: number, b: number): number {
  let product = 0;
  for (let bit = 0; bit < 8; bit++) if ((b >> bit) & 1) product ^= a << bit;
  for (let bit = 15; bit >= 8; bit--) if ((product >> bit) & 1) product ^= 0x11d << (bit - 8);
  return product;
}

describe('GF(2^8)', () => {
  it('multiplies like carry-less multiplication modulo 0x11d, for every pair', () => {
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (gfMul(a, b) !== schoolbookMul(a, b)) expect.fail(`${a}·${b}`);
  });

  it('is a field: multiplication is associative and commutative and distributes over XOR', () => {
    fc.assert(
      fc.property(element, element, element, (a, b, c) => {
        expect(gfMul(gfMul(a, b), c)).toBe(gfMul(a, gfMul(b, c)));
        expect(gfMul(a, b)).toBe(gfMul(b, a));
        expect(gfMul(a, b ^ c)).toBe(gfMul(a, b) ^ gfMul(a, c));
        expect(gfMul(a, 1)).toBe(a);
        expect(gfMul(a, 0)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives every non-zero element an inverse, and division undoes multiplication', () => {
    for (let a = 1; a < 256; a++) expect(gfMul(a, gfInv(a))).toBe(1);
    fc.assert(
      fc.property(element, nonZero, (a, b) => {
        expect(gfMul(gfDiv(a, b), b)).toBe(a);
      }),
    );
    expect(() => gfInv(0)).toThrow(RangeError);
  });

  it('has 2 as a generator: its powers run through all 255 non-zero elements', () => {
    const powers = new Set(Array.from({ length: 255 }, (_, i) => gfPow(2, i)));
    expect(powers.size).toBe(255);
    expect(gfPow(2, 255)).toBe(1);
    fc.assert(
      fc.property(element, fc.integer({ min: 0, max: 600 }), (a, e) => {
        expect(gfPow(a, e + 1)).toBe(gfMul(gfPow(a, e), a));
      }),
    );
  });

  it('has lane tables that multiply each byte of a word in place', () => {
    const tables = gfLaneTables();
    fc.assert(
      fc.property(nonZero, element, fc.integer({ min: 0, max: 3 }), (c, x, lane) => {
        expect(tables[(c * 4 + lane) * 256 + x]! >>> 0).toBe((gfMul(c, x) << (8 * lane)) >>> 0);
      }),
    );
  });
});

describe('the generator matrix', () => {
  it('starts with the identity, so data pieces are the data', () => {
    const generator = systematicGenerator(4, 10);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(generator.data[r * 4 + c]).toBe(r === c ? 1 : 0);
  });

  it('is MDS for the dev scheme: every choice of 4 of the 10 rows is invertible', () => {
    const generator = systematicGenerator(4, 10);
    let subsets = 0;
    for (let mask = 0; mask < 1 << 10; mask++) {
      const rows = [...Array(10).keys()].filter((row) => (mask >> row) & 1);
      if (rows.length !== 4) continue;
      const chosen = selectRows(generator, rows);
      const inverse = invert(chosen);
      expect(inverse, `rows ${rows.join(',')}`).toBeDefined();
      expect(Array.from(multiply(chosen, inverse!).data)).toEqual(Array.from(systematicGenerator(4, 4).data));
      subsets++;
    }
    expect(subsets).toBe(210);
  });

  it('is MDS for random k of n rows up to 255 pieces', () => {
    const shape = fc.integer({ min: 1, max: 255 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: Math.min(n, 40) })));
    fc.assert(
      fc.property(shape.chain(([n, k]) => fc.tuple(fc.constant(k), fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: k, maxLength: k }))), ([k, n, rows]) => {
        expect(invert(selectRows(systematicGenerator(k, n), rows))).toBeDefined();
      }),
      { numRuns: 60 },
    );
  });

  it('reports a singular matrix instead of inverting it', () => {
    expect(invert({ rows: 2, cols: 2, data: Uint8Array.of(3, 5, 3, 5) })).toBeUndefined();
  });
});
