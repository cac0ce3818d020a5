/**
 * The one key-derivation step of the hierarchy, and every label it is used with. Changing any
 * label changes every encrypted name and wrapped key, so they are pinned by test vectors.
 */
import { utf8 } from '../../core/bytes.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { expectBytes } from '../../crypto/checks.js';
import { getCryptoProvider } from '../../crypto/select.js';

/**
 * The name of this whole format (labels, path encoding, content blocks, wrapping), for the
 * `cipherSuite` field of an object's encryption parameters. A new format gets a new name.
 */
export const CIPHER_SUITE = 'handoff-enc/v1';

/** Every key of the hierarchy is 32 bytes. */
export const KEY_LENGTH = 32;

/**
 * The derivation labels. Under one parent key the labels are pairwise distinct ("path:" + c
 * never equals a fixed label because none of them starts with "path:"), so no two derived keys
 * coincide.
 */
export const LABELS = {
  /** root → bucket key: `"bucket:" + bucketName`. */
  bucket: 'bucket:',
  /** path key → child path key: `"path:" + component` (the plaintext component). */
  component: 'path:',
  /** path key → the key that wraps content and metadata keys of the object at that path. */
  content: 'content',
  /** parent path key → the XSalsa20-Poly1305 key that encrypts a child component. */
  componentCipher: 'component-cipher',
  /** parent path key → the HMAC key that makes a child component's synthetic nonce. */
  componentNonce: 'component-nonce',
} as const;

/**
 * `deriveKey(key, message)` = the first 32 bytes of HMAC-SHA512(key, message); a string message
 * is taken as its UTF-8 bytes.
 *
 * @example
 * ```ts
 * const bucketKey = deriveKey(rootKey, 'bucket:photos');
 * ```
 */
export function deriveKey(key: Uint8Array, message: Uint8Array | string): Uint8Array {
  expectBytes(key, 'key', KEY_LENGTH);
  let bytes: Uint8Array;
  if (typeof message === 'string') bytes = utf8(message);
  else bytes = expectBytes(message, 'message');
  return getCryptoProvider().hmacSha512(key, bytes).slice(0, KEY_LENGTH);
}

/** The bucket key: `deriveKey(rootKey, "bucket:" + bucket)`. */
export function deriveBucketKey(rootKey: Uint8Array, bucket: string): Uint8Array {
  if (typeof bucket !== 'string' || bucket.length === 0) {
    throw new InvalidArgumentError(`"bucket" expected a non-empty string, got ${JSON.stringify(bucket)}`);
  }
  return deriveKey(rootKey, LABELS.bucket + bucket);
}

/** Overwrites a secret that is no longer needed, so it does not linger in memory. */
export function wipe(key: Uint8Array): void {
  key.fill(0);
}
