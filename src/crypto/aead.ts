/**
 * AEAD rules both providers share: argument checks, the one output layout (ciphertext, then the
 * 16-byte tag, for every algorithm) and XSalsa20-Poly1305, which node:crypto lacks, so both
 * providers take it from @noble/ciphers. Private to src/crypto.
 */
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { InvalidArgumentError, UnauthenticatedError } from '../core/errors.js';
import { expectBytes } from './checks.js';
import type { AeadAlgorithm } from './provider.js';

/** Every supported AEAD appends a 16-byte tag. */
export const TAG_LENGTH = 16;

const NONCE_LENGTH: Record<AeadAlgorithm, number> = { 'aes-256-gcm': 12, 'xsalsa20-poly1305': 24 };

/**
 * Checks one seal/open call and returns its associated data (undefined when absent or empty).
 * `dataName` is `"plaintext"` or `"sealed"`.
 */
export function checkAeadArguments(
  algorithm: unknown,
  key: unknown,
  nonce: unknown,
  data: unknown,
  dataName: 'plaintext' | 'sealed',
  associatedData: unknown,
): Uint8Array | undefined {
  if (algorithm !== 'aes-256-gcm' && algorithm !== 'xsalsa20-poly1305') {
    throw new InvalidArgumentError(`"algorithm" expected "aes-256-gcm" or "xsalsa20-poly1305", got ${JSON.stringify(String(algorithm))}`);
  }
  expectBytes(key, 'key', 32);
  expectBytes(nonce, 'nonce', NONCE_LENGTH[algorithm]);
  expectBytes(data, dataName);
  if (associatedData === undefined) return undefined;
  const aad = expectBytes(associatedData, 'associatedData');
  if (aad.length === 0) return undefined;
  if (algorithm === 'xsalsa20-poly1305') {
    // NaCl's secretbox has no associated data; silently ignoring it would let callers believe it is bound.
    throw new InvalidArgumentError('"associatedData" is not supported by xsalsa20-poly1305; use aes-256-gcm');
  }
  return aad;
}

/** The error every provider throws when a sealed message does not authenticate. */
export function authenticationFailure(algorithm: AeadAlgorithm, cause?: unknown): UnauthenticatedError {
  return new UnauthenticatedError(`${algorithm}: sealed message failed authentication`, cause === undefined ? {} : { cause });
}

/** XSalsa20-Poly1305 seal with the provider layout: ciphertext then tag (NaCl puts the tag first). */
export function xsalsaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const tagFirst = xsalsa20poly1305(key, nonce).encrypt(plaintext);
  const out = new Uint8Array(tagFirst.length);
  out.set(tagFirst.subarray(TAG_LENGTH), 0);
  out.set(tagFirst.subarray(0, TAG_LENGTH), plaintext.length);
  return out;
}

/** Opens {@link xsalsaSeal} output; throws `UnauthenticatedError` when the tag does not match. */
export function xsalsaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG_LENGTH) throw authenticationFailure('xsalsa20-poly1305');
  const length = sealed.length - TAG_LENGTH;
  const tagFirst = new Uint8Array(sealed.length);
  tagFirst.set(sealed.subarray(length), 0);
  tagFirst.set(sealed.subarray(0, length), TAG_LENGTH);
  try {
    return xsalsa20poly1305(key, nonce).decrypt(tagFirst);
  } catch (err) {
    throw authenticationFailure('xsalsa20-poly1305', err);
  }
}

/** Splits a sealed output (ciphertext, then the tag) into its two parts, as views. */
export function splitSealed(sealed: Uint8Array): [ciphertext: Uint8Array, tag: Uint8Array] {
  const length = sealed.length - TAG_LENGTH;
  return [sealed.subarray(0, length), sealed.subarray(length)];
}
