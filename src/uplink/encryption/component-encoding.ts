/**
 * How an encrypted path component is written: a base-64 code whose 64 symbols are
 * `0-9 A-Z _ a-z ~` in ASCII order, without padding. Compared with base64url it
 * - never produces '/' (0x2f) nor any byte below it, so '/' stays the only separator and a
 *   component never sorts around a separator differently from its bytes;
 * - preserves order: for equal-length inputs, encoded strings compare like the raw bytes;
 * - uses only URL-unreserved characters (RFC 3986), so keys stay printable and URL-safe.
 * Decoding is strict (one encoding per byte string) so two spellings can never name one object.
 */

/** The 64 symbols, ascending in ASCII. */
export const COMPONENT_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~';

const SYMBOL = Uint8Array.from(COMPONENT_ALPHABET, (ch) => ch.charCodeAt(0));
const VALUE = new Int8Array(256).fill(-1);
SYMBOL.forEach((code, value) => {
  VALUE[code] = value;
});

/** Encoded length of `n` bytes. */
export function encodedComponentLength(n: number): number {
  return Math.ceil((n * 4) / 3);
}

/** Writes the encoding of `bytes` into `out` at `offset`; returns the offset after it. */
export function encodeComponentInto(bytes: Uint8Array, out: Uint8Array, offset: number): number {
  let o = offset;
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = SYMBOL[v >>> 18]!;
    out[o++] = SYMBOL[(v >>> 12) & 63]!;
    out[o++] = SYMBOL[(v >>> 6) & 63]!;
    out[o++] = SYMBOL[v & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i]!;
    out[o++] = SYMBOL[v >>> 2]!;
    out[o++] = SYMBOL[(v & 3) << 4]!;
  } else if (rest === 2) {
    const v = (bytes[i]! << 8) | bytes[i + 1]!;
    out[o++] = SYMBOL[v >>> 10]!;
    out[o++] = SYMBOL[(v >>> 4) & 63]!;
    out[o++] = SYMBOL[(v & 15) << 2]!;
  }
  return o;
}

/** The encoding of `bytes` as ASCII bytes. */
export function encodeComponent(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(encodedComponentLength(bytes.length));
  encodeComponentInto(bytes, out, 0);
  return out;
}

/**
 * The bytes `encoded` stands for, or undefined when it is not an encoding {@link encodeComponent}
 * could have produced (a foreign symbol, an impossible length, or non-zero leftover bits).
 */
export function decodeComponent(encoded: Uint8Array): Uint8Array | undefined {
  const rest = encoded.length % 4;
  if (rest === 1) return undefined;
  const out = new Uint8Array(Math.floor((encoded.length * 3) / 4));
  let value = 0;
  let bits = 0;
  let o = 0;
  for (const code of encoded) {
    const v = VALUE[code]!;
    if (v < 0) return undefined;
    value = ((value << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >>> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two spellings would decode to the same bytes.
  if ((value & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
