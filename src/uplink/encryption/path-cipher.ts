/**
 * Object keys ("paths") encrypted component by component, deterministically, so the satellite
 * stores, sorts and lists names it cannot read while '/' stays a separator:
 *
 *   K(bucket)          = deriveKey(root, "bucket:" + bucket)
 *   K(c1/…/ci)         = deriveKey(K(c1/…/ci-1), "path:" + ci)
 *   enc(ci)            = encode(nonce || XSalsa20-Poly1305(cipherKey, nonce, ci))
 *     cipherKey        = deriveKey(K(parent), "component-cipher")
 *     nonce            = HMAC-SHA512(deriveKey(K(parent), "component-nonce"), ci)[0..24)
 *   encryptPath(p)     = enc(c1) "/" enc(c2) "/" … "/" enc(cn)
 *
 * The nonce is a PRF of the component under a key only the owner has (a synthetic IV, as in
 * SIV), so equal components under one parent encrypt equally — which listing needs — and
 * different ones get different nonces except with negligible probability; nothing but equality
 * leaks. A component's encryption depends on its whole parent path, so "a/x" and "b/x" differ.
 */
import { concatBytes, equalBytes, fromUtf8, utf8 } from '../../core/bytes.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { expectBytes } from '../../crypto/checks.js';
import { getCryptoProvider } from '../../crypto/select.js';
import { decodeComponent, encodedComponentLength, encodeComponentInto } from './component-encoding.js';
import { deriveBucketKey, deriveKey, LABELS, wipe } from './derive.js';
import { cannotDecrypt, malformedCiphertext } from './failures.js';

const SEPARATOR = 0x2f;
const NONCE_LENGTH = 24;
const TAG_LENGTH = 16;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function expectPath(path: unknown, name: string): string {
  if (typeof path !== 'string') throw new InvalidArgumentError(`"${name}" expected a string, got ${typeof path}`);
  // A lone surrogate has no UTF-8 form: it would silently become U+FFFD and not round-trip.
  if (LONE_SURROGATE.test(path)) throw new InvalidArgumentError(`"${name}" contains a lone UTF-16 surrogate`);
  return path;
}

function sealComponent(parentKey: Uint8Array, component: Uint8Array): Uint8Array {
  const provider = getCryptoProvider();
  const nonceKey = deriveKey(parentKey, LABELS.componentNonce);
  const cipherKey = deriveKey(parentKey, LABELS.componentCipher);
  const nonce = provider.hmacSha512(nonceKey, component).slice(0, NONCE_LENGTH);
  const sealed = provider.aeadSeal('xsalsa20-poly1305', cipherKey, nonce, component);
  wipe(nonceKey);
  wipe(cipherKey);
  return concatBytes(nonce, sealed);
}

function openComponent(parentKey: Uint8Array, encoded: Uint8Array, position: number): Uint8Array {
  const what = `object key component ${position + 1}`;
  const raw = decodeComponent(encoded);
  if (raw === undefined) throw malformedCiphertext(what, 'not in the component encoding');
  if (raw.length < NONCE_LENGTH + TAG_LENGTH) throw malformedCiphertext(what, `${raw.length} bytes is too short`);
  const provider = getCryptoProvider();
  const nonce = raw.subarray(0, NONCE_LENGTH);
  const cipherKey = deriveKey(parentKey, LABELS.componentCipher);
  let component: Uint8Array;
  try {
    component = provider.aeadOpen('xsalsa20-poly1305', cipherKey, nonce, raw.subarray(NONCE_LENGTH));
  } catch (err) {
    throw cannotDecrypt(what, err);
  } finally {
    wipe(cipherKey);
  }
  // The tag already proves the owner wrote it; checking the nonce too keeps one ciphertext per
  // name, so the satellite cannot mint a second encrypted key that decrypts to the same path.
  const nonceKey = deriveKey(parentKey, LABELS.componentNonce);
  const expected = provider.hmacSha512(nonceKey, component).subarray(0, NONCE_LENGTH);
  wipe(nonceKey);
  if (!equalBytes(expected, nonce)) throw cannotDecrypt(what);
  return component;
}

/** Walks `components` from `startKey` (not wiped), calling `visit` with each parent key. */
function walk(startKey: Uint8Array, components: readonly Uint8Array[], visit: (parentKey: Uint8Array, component: Uint8Array, i: number) => void): Uint8Array {
  let key = startKey;
  components.forEach((component, i) => {
    visit(key, component, i);
    const next = deriveKey(key, concatBytes(utf8(LABELS.component), component));
    if (key !== startKey) wipe(key);
    key = next;
  });
  return key === startKey ? key.slice() : key;
}

function encryptComponents(rootKey: Uint8Array, bucket: string, components: readonly Uint8Array[], trailingSeparator: boolean): Uint8Array {
  const sealed: Uint8Array[] = [];
  const bucketKey = deriveBucketKey(rootKey, bucket);
  wipe(walk(bucketKey, components, (parentKey, component) => sealed.push(sealComponent(parentKey, component))));
  wipe(bucketKey);
  let length = trailingSeparator ? sealed.length : Math.max(0, sealed.length - 1);
  for (const s of sealed) length += encodedComponentLength(s.length);
  const out = new Uint8Array(length);
  let offset = 0;
  sealed.forEach((s, i) => {
    offset = encodeComponentInto(s, out, offset);
    if (trailingSeparator || i < sealed.length - 1) out[offset++] = SEPARATOR;
  });
  return out;
}

function decryptComponents(rootKey: Uint8Array, bucket: string, encrypted: readonly Uint8Array[]): string[] {
  const plain: string[] = [];
  let key = deriveBucketKey(rootKey, bucket);
  try {
    encrypted.forEach((part, i) => {
      const component = openComponent(key, part, i);
      try {
        plain.push(fromUtf8(component));
      } catch {
        throw malformedCiphertext(`object key component ${i + 1}`, 'not UTF-8');
      }
      const next = deriveKey(key, concatBytes(utf8(LABELS.component), component));
      wipe(key);
      key = next;
    });
  } finally {
    wipe(key);
  }
  return plain;
}

function splitBytes(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === SEPARATOR) {
      parts.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

/**
 * The encrypted object key of `path` in `bucket`: each '/'-separated component encrypted on its
 * own, joined with '/'. Deterministic: the same root key, bucket and path always give the same
 * bytes. Empty components and a trailing '/' are kept ("a//b/" has four components).
 *
 * @example
 * ```ts
 * const key = encryptPath(rootKey, 'photos', '2024/summer/beach.jpg'); // ASCII bytes, two '/'
 * decryptPath(rootKey, 'photos', key); // '2024/summer/beach.jpg'
 * ```
 */
export function encryptPath(rootKey: Uint8Array, bucket: string, path: string): Uint8Array {
  expectBytes(rootKey, 'rootKey', 32);
  const components = expectPath(path, 'path').split('/').map(utf8);
  return encryptComponents(rootKey, bucket, components, false);
}

/**
 * Reverses {@link encryptPath}. Throws `UnauthenticatedError` ("cannot decrypt: wrong passphrase
 * or key …") when any component was not written under this root key and bucket, or was altered.
 */
export function decryptPath(rootKey: Uint8Array, bucket: string, encryptedPath: Uint8Array): string {
  expectBytes(rootKey, 'rootKey', 32);
  expectBytes(encryptedPath, 'encryptedPath');
  return decryptComponents(rootKey, bucket, splitBytes(encryptedPath)).join('/');
}

/** Bytes of nonce and tag each encrypted component adds to its plaintext before encoding. */
const COMPONENT_OVERHEAD = NONCE_LENGTH + TAG_LENGTH;

/**
 * The length of {@link encryptPath}'s result for `path`, without encrypting it: the satellite
 * limits this length, never the plaintext's.
 *
 * @example
 * ```ts
 * encryptedPathLength('a/b') === encryptPath(rootKey, 'photos', 'a/b').length; // 111
 * ```
 */
export function encryptedPathLength(path: string): number {
  const components = expectPath(path, 'path').split('/');
  let length = components.length - 1;
  for (const c of components) length += encodedComponentLength(utf8(c).length + COMPONENT_OVERHEAD);
  return length;
}

/**
 * The most UTF-8 bytes (separators included) a path of `parts` '/'-separated components can
 * have and always encrypt to at most `maxEncryptedLength` bytes, however they are spread over the
 * components — a satellite's key limit stated in the terms of the name a user types. -1 when
 * not even empty components fit.
 *
 * @example
 * ```ts
 * maxPathLength(1024, 1); // 728: a one-component key of up to 728 bytes fits 1024 encrypted
 * ```
 */
export function maxPathLength(maxEncryptedLength: number, parts: number): number {
  // Each component encodes to ceil(4m/3) bytes, m = its length + overhead: 4m/3 plus a rounding
  // of 0, 2/3 or 1/3 byte as m mod 3 is 0, 1 or 2. The worst spread puts as many components as
  // the total allows at m mod 3 = 1.
  const worst = (plain: number): number => {
    const m = plain + COMPONENT_OVERHEAD * parts;
    const rounding = 2 * parts - ((((m - parts) % 3) + 3) % 3);
    return (4 * m + rounding) / 3 + parts - 1;
  };
  // A lower bound (every component rounding up by 2/3), then up to the exact answer.
  let plain = Math.max(0, Math.floor((3 * (maxEncryptedLength - parts + 1) - 2 * parts) / 4) - COMPONENT_OVERHEAD * parts);
  if (worst(plain) > maxEncryptedLength) return -1;
  while (worst(plain + 1) <= maxEncryptedLength) plain++;
  return plain + parts - 1;
}

/**
 * The encrypted form of a listing prefix: "" (the whole bucket) or a path ending in '/'. It is a
 * byte prefix of the encryption of every path below it, so the satellite can list by it.
 * A prefix that ends inside a component cannot be listed by (components are encrypted whole).
 *
 * @example
 * ```ts
 * const prefix = encryptPrefix(rootKey, 'photos', '2024/'); // enc("2024") + "/"
 * ```
 */
export function encryptPrefix(rootKey: Uint8Array, bucket: string, prefix: string): Uint8Array {
  expectBytes(rootKey, 'rootKey', 32);
  expectPath(prefix, 'prefix');
  if (prefix === '') return new Uint8Array(0);
  if (!prefix.endsWith('/')) throw new InvalidArgumentError(`"prefix" must be empty or end with "/", got ${JSON.stringify(prefix)}`);
  return encryptComponents(rootKey, bucket, prefix.slice(0, -1).split('/').map(utf8), true);
}

/** Reverses {@link encryptPrefix} (for the collapsed prefixes of a non-recursive listing). */
export function decryptPrefix(rootKey: Uint8Array, bucket: string, encryptedPrefix: Uint8Array): string {
  expectBytes(rootKey, 'rootKey', 32);
  expectBytes(encryptedPrefix, 'encryptedPrefix');
  if (encryptedPrefix.length === 0) return '';
  if (encryptedPrefix[encryptedPrefix.length - 1] !== SEPARATOR) throw malformedCiphertext('prefix', 'it does not end with "/"');
  return decryptComponents(rootKey, bucket, splitBytes(encryptedPrefix.subarray(0, -1))).join('/') + '/';
}

/**
 * The key that wraps the content keys and the metadata key of the object at `path`:
 * `deriveKey(K(path), "content")`. It changes with the bucket and with every component, which
 * is why a move must re-wrap those keys (and only those).
 *
 * @example
 * ```ts
 * const wrapped = wrapKey(pathContentKey(rootKey, 'photos', 'beach.jpg'), segmentKey);
 * ```
 */
export function pathContentKey(rootKey: Uint8Array, bucket: string, path: string): Uint8Array {
  expectBytes(rootKey, 'rootKey', 32);
  const components = expectPath(path, 'path').split('/').map(utf8);
  const bucketKey = deriveBucketKey(rootKey, bucket);
  const pathKey = walk(bucketKey, components, () => {});
  wipe(bucketKey);
  const contentKey = deriveKey(pathKey, LABELS.content);
  wipe(pathKey);
  return contentKey;
}
