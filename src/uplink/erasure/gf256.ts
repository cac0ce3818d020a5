/**
 * Arithmetic in GF(2^8), the field Reed–Solomon works in: bytes are polynomials over GF(2)
 * reduced modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11d, the polynomial most RS codes use, with
 * generator 2). Addition is XOR; multiplication goes through log/exp tables.
 */

const POLYNOMIAL = 0x11d;

/** `EXP[i] = 2^i`, doubled in length so `EXP[LOG[a] + LOG[b]]` needs no modulo. */
const EXP = new Uint8Array(510);
/** `LOG[2^i] = i`; `LOG[0]` is meaningless (zero has no logarithm). */
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    EXP[i + 255] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= POLYNOMIAL;
  }
}

/**
 * The product of two field elements.
 *
 * @example
 * ```ts
 * gfMul(2, 0x80); // 0x1d: x · x^7 wraps around the polynomial
 * ```
 */
export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

/**
 * The multiplicative inverse of a non-zero element; throws `RangeError` for zero (a bug: callers
 * only invert elements they know to be non-zero).
 */
export function gfInv(a: number): number {
  if (a === 0) throw new RangeError('zero has no inverse in GF(2^8)');
  return EXP[255 - LOG[a]!]!;
}

/** `a / b` for non-zero `b`. */
export function gfDiv(a: number, b: number): number {
  return gfMul(a, gfInv(b));
}

/** `a^e` for an integer `e ≥ 0` (with `0^0 = 1`). */
export function gfPow(a: number, e: number): number {
  if (e === 0) return 1;
  if (a === 0) return 0;
  return EXP[(LOG[a]! * e) % 255]!;
}

let laneTables: Int32Array | undefined;

/**
 * Multiplication tables for four bytes at once: entry `(c * 4 + lane) * 256 + x` holds
 * `gfMul(c, x) << (8 * lane)`, so `c` times a 32-bit word is four lookups XORed together, with
 * no shifting back. Byte lanes are independent, so the result is right whatever the host's
 * endianness. 1 MiB, built on first use.
 */
export function gfLaneTables(): Int32Array {
  if (laneTables === undefined) {
    const tables = new Int32Array(256 * 4 * 256);
    for (let c = 1; c < 256; c++) {
      const base = c * 1024;
      for (let x = 1; x < 256; x++) {
        const product = EXP[LOG[c]! + LOG[x]!]!;
        tables[base + x] = product;
        tables[base + 256 + x] = product << 8;
        tables[base + 512 + x] = product << 16;
        tables[base + 768 + x] = product << 24;
      }
    }
    laneTables = tables;
  }
  return laneTables;
}
