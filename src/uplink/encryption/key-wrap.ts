/**
 * Key wrapping ("encrypted key"): a random 32-byte key (a segment's content key, an object's
 * metadata key) sealed with XSalsa20-Poly1305 under a path content key and a fresh random
 * 24-byte nonce. 24 random bytes make a nonce collision negligible even after 2^64 wraps under
 * one key, so no counter has to be kept anywhere — which is what lets a move re-wrap keys on any
 * client, in any order, in parallel.
 */
import { expectBytes } from '../../crypto/checks.js';
import { getCryptoProvider } from '../../crypto/select.js';
import { KEY_LENGTH, wipe } from './derive.js';
import { cannotDecrypt, malformedCiphertext } from './failures.js';

/** Bytes of a wrapped key: the 32-byte key plus the 16-byte Poly1305 tag. */
export const WRAPPED_KEY_LENGTH = KEY_LENGTH + 16;
/** Bytes of a wrapping nonce. */
export const WRAP_NONCE_LENGTH = 24;

/** A wrapped key as the satellite stores it (field names as in the metainfo segment schemas). */
export interface WrappedKey {
  readonly encryptedKey: Uint8Array;
  readonly encryptedKeyNonce: Uint8Array;
}

/**
 * Seals `key` (32 bytes) under `wrappingKey` (a {@link pathContentKey}) with a fresh random nonce.
 *
 * @example
 * ```ts
 * const { encryptedKey, encryptedKeyNonce } = wrapKey(pathContentKey(rootKey, bucket, path), contentKey);
 * ```
 */
export function wrapKey(wrappingKey: Uint8Array, key: Uint8Array): WrappedKey {
  expectBytes(wrappingKey, 'wrappingKey', KEY_LENGTH);
  expectBytes(key, 'key', KEY_LENGTH);
  const provider = getCryptoProvider();
  const encryptedKeyNonce = provider.randomBytes(WRAP_NONCE_LENGTH);
  return { encryptedKey: provider.aeadSeal('xsalsa20-poly1305', wrappingKey, encryptedKeyNonce, key), encryptedKeyNonce };
}

/**
 * Opens a {@link wrapKey} result. A wrong wrapping key (wrong passphrase, wrong path) or an
 * altered key or nonce throws `UnauthenticatedError`; nothing is ever returned unverified.
 *
 * @example
 * ```ts
 * const contentKey = unwrapKey(pathContentKey(rootKey, bucket, path), segment.encryptedKey, segment.encryptedKeyNonce);
 * ```
 */
export function unwrapKey(wrappingKey: Uint8Array, encryptedKey: Uint8Array, encryptedKeyNonce: Uint8Array, what = 'wrapped key'): Uint8Array {
  expectBytes(wrappingKey, 'wrappingKey', KEY_LENGTH);
  expectBytes(encryptedKey, 'encryptedKey');
  expectBytes(encryptedKeyNonce, 'encryptedKeyNonce');
  if (encryptedKey.length !== WRAPPED_KEY_LENGTH) throw malformedCiphertext(what, `${encryptedKey.length} bytes, expected ${WRAPPED_KEY_LENGTH}`);
  if (encryptedKeyNonce.length !== WRAP_NONCE_LENGTH) throw malformedCiphertext(what, `nonce of ${encryptedKeyNonce.length} bytes, expected ${WRAP_NONCE_LENGTH}`);
  try {
    return getCryptoProvider().aeadOpen('xsalsa20-poly1305', wrappingKey, encryptedKeyNonce, encryptedKey);
  } catch (err) {
    throw cannotDecrypt(what, err);
  }
}

/**
 * Moves a wrapped key from one wrapping key to another: unwrap with `oldWrappingKey`, wrap with
 * `newWrappingKey` under a fresh nonce, wipe the plain key. This is all a server-side move does
 * to a segment.
 *
 * @example
 * ```ts
 * const moved = rewrapKey(oldPathContentKey, newPathContentKey, segment.encryptedKey, segment.encryptedKeyNonce);
 * ```
 */
export function rewrapKey(oldWrappingKey: Uint8Array, newWrappingKey: Uint8Array, encryptedKey: Uint8Array, encryptedKeyNonce: Uint8Array): WrappedKey {
  expectBytes(newWrappingKey, 'newWrappingKey', KEY_LENGTH);
  const key = unwrapKey(oldWrappingKey, encryptedKey, encryptedKeyNonce);
  try {
    return wrapKey(newWrappingKey, key);
  } finally {
    wipe(key);
  }
}

/**
 * Re-wraps every key of `items`, keeping each item's other fields (a segment's position, say),
 * in order. Fails as a whole on the first key that does not unwrap.
 *
 * @example
 * ```ts
 * const rewrapped = rewrapKeys(oldKey, newKey, begin.segments); // [{ position, encryptedKey, encryptedKeyNonce }, ...]
 * ```
 */
export function rewrapKeys<T extends WrappedKey>(oldWrappingKey: Uint8Array, newWrappingKey: Uint8Array, items: Iterable<T>): T[] {
  const out: T[] = [];
  for (const item of items) out.push({ ...item, ...rewrapKey(oldWrappingKey, newWrappingKey, item.encryptedKey, item.encryptedKeyNonce) });
  return out;
}
