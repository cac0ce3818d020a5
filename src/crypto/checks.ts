/**
 * Input rules both crypto providers share, so that they reject the same inputs with the same
 * errors and accept exactly the same Ed25519 signatures. Private to src/crypto.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { fromHex } from '../core/bytes.js';

/** True for a `Uint8Array` (a Node `Buffer` included), also one from another realm. */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor.name === 'Uint8Array');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

/**
 * Throws `InvalidArgumentError` naming `name` unless `value` is a `Uint8Array` of `length` bytes
 * (any length when `length` is omitted): `"nonce" expected 12 bytes, got 11`.
 */
export function expectBytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!isBytes(value)) throw new InvalidArgumentError(`"${name}" expected Uint8Array, got ${describeValue(value)}`);
  if (length !== undefined && value.length !== length) {
    throw new InvalidArgumentError(`"${name}" expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Throws `InvalidArgumentError` unless `length` is a usable byte count. */
export function expectLength(length: unknown, name: string): number {
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new InvalidArgumentError(`"${name}" expected a non-negative integer, got ${String(length)}`);
  }
  return length;
}

// --- Ed25519 acceptance rules -------------------------------------------------------------------
//
// RFC 8032 allows a verifier either the cofactored or the cofactorless equation, and libraries
// differ on encodings and small-order keys. Every party must accept the same signatures, so
// handoff fixes one rule set, checked here before any curve arithmetic:
//   - S is canonical: S < L;
//   - A (public key) is canonically encoded (y < p) and is not a small-order point;
//   - R must be canonical and the equation is cofactorless [S]B = R + [k]A, which OpenSSL
//     enforces by comparing the encoding of [S]B - [k]A to R, and the noble provider checks too.

/** L, the order of the Ed25519 base point, little-endian. */
const GROUP_ORDER_LE = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/**
 * Encodings of the eight small-order points (the torsion subgroup), plus the two x = 0 points with
 * the sign bit set, which OpenSSL would decode to the same points as 01.. and ec..7f.
 */
const SMALL_ORDER_ENCODINGS = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
].map(fromHex);

/** True when the little-endian scalar `s` (32 bytes) is below L. */
export function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const a = s[i]!;
    const b = GROUP_ORDER_LE[i]!;
    if (a !== b) return a < b;
  }
  return false; // s == L
}

/** True when the y coordinate of a 32-byte point encoding (sign bit ignored) is below p = 2^255 - 19. */
export function isCanonicalPointEncoding(point: Uint8Array): boolean {
  if ((point[31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (point[i] !== 0xff) return true;
  return point[0]! < 0xed;
}

/** True when a 32-byte public key is one handoff accepts: canonical and not of small order. */
export function isAcceptablePublicKey(publicKey: Uint8Array): boolean {
  if (!isCanonicalPointEncoding(publicKey)) return false;
  for (const small of SMALL_ORDER_ENCODINGS) {
    let diff = 0;
    for (let i = 0; i < 32; i++) diff |= small[i]! ^ publicKey[i]!;
    if (diff === 0) return false;
  }
  return true;
}

/**
 * The checks every `ed25519Verify` runs before curve arithmetic: types, lengths, canonical S,
 * acceptable public key. False means "reject"; true means "go on and check the equation".
 */
export function passesEd25519Prechecks(publicKey: unknown, message: unknown, signature: unknown): boolean {
  if (!isBytes(publicKey) || !isBytes(message) || !isBytes(signature)) return false;
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  return isCanonicalScalar(signature.subarray(32)) && isAcceptablePublicKey(publicKey);
}
