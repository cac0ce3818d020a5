/**
 * Object metadata (content type, plain size, the application's own name/value pairs) encrypted
 * under its own random 32-byte metadata key, which is wrapped exactly like a segment's content
 * key. So a move re-wraps the metadata key and never touches the metadata itself.
 *
 *   encryptedMetadata = XSalsa20-Poly1305(metadataKey, encryptedMetadataNonce, JSON)   (random 24-byte nonce)
 *   encryptedMetadataKey, encryptedMetadataKeyNonce = wrapKey(pathContentKey, metadataKey)
 */
import { fromUtf8, utf8 } from '../../core/bytes.js';
import { DecodeError, InvalidArgumentError } from '../../core/errors.js';
import { expectBytes } from '../../crypto/checks.js';
import { getCryptoProvider } from '../../crypto/select.js';
import { KEY_LENGTH, wipe } from './derive.js';
import { cannotDecrypt, malformedCiphertext } from './failures.js';
import { rewrapKey, unwrapKey, WRAP_NONCE_LENGTH, wrapKey } from './key-wrap.js';

/** What an object's metadata holds. Everything is encrypted; the satellite sees only sizes. */
export interface ObjectMetadata {
  /** A MIME type, e.g. `image/jpeg`. */
  readonly contentType?: string;
  /** The object's plaintext size in bytes. */
  readonly plainSize?: number;
  /** The application's own metadata: names and values are free-form strings. */
  readonly custom?: Readonly<Record<string, string>>;
}

/** Encrypted metadata, field names as in the metainfo `MetadataSchema`. */
export interface EncryptedMetadata {
  readonly encryptedMetadata: Uint8Array;
  readonly encryptedMetadataNonce: Uint8Array;
  readonly encryptedMetadataKey: Uint8Array;
  readonly encryptedMetadataKeyNonce: Uint8Array;
}

/** The largest serialized metadata: the satellite stores at most 64 KiB of it, tag included. */
export const MAX_METADATA_SIZE = 64 * 1024 - 16;

const FORMAT_VERSION = 1;

function serialize(metadata: ObjectMetadata): Uint8Array {
  if (typeof metadata !== 'object' || metadata === null) throw new InvalidArgumentError('"metadata" expected an object');
  const { contentType, plainSize, custom } = metadata;
  if (contentType !== undefined && typeof contentType !== 'string') throw new InvalidArgumentError('"metadata.contentType" expected a string');
  if (plainSize !== undefined && !(Number.isSafeInteger(plainSize) && plainSize >= 0)) {
    throw new InvalidArgumentError(`"metadata.plainSize" expected a non-negative integer, got ${String(plainSize)}`);
  }
  if (custom !== undefined) {
    if (typeof custom !== 'object' || custom === null) throw new InvalidArgumentError('"metadata.custom" expected an object of strings');
    for (const [name, value] of Object.entries(custom)) {
      if (typeof value !== 'string') throw new InvalidArgumentError(`"metadata.custom.${name}" expected a string, got ${typeof value}`);
    }
  }
  const bytes = utf8(JSON.stringify({ v: FORMAT_VERSION, contentType, plainSize, custom }));
  if (bytes.length > MAX_METADATA_SIZE) throw new InvalidArgumentError(`"metadata" is ${bytes.length} bytes serialized, at most ${MAX_METADATA_SIZE} allowed`);
  return bytes;
}

function parse(bytes: Uint8Array): ObjectMetadata {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch (err) {
    throw new DecodeError('object metadata is not valid JSON', { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DecodeError('object metadata is not an object');
  const record = value as Record<string, unknown>;
  if (record.v !== FORMAT_VERSION) throw new DecodeError(`object metadata has unknown format version ${JSON.stringify(record.v)}`);
  const out: { contentType?: string; plainSize?: number; custom?: Record<string, string> } = {};
  if (record.contentType !== undefined) {
    if (typeof record.contentType !== 'string') throw new DecodeError('object metadata: "contentType" is not a string');
    out.contentType = record.contentType;
  }
  if (record.plainSize !== undefined) {
    if (typeof record.plainSize !== 'number' || !Number.isSafeInteger(record.plainSize) || record.plainSize < 0) {
      throw new DecodeError('object metadata: "plainSize" is not a non-negative integer');
    }
    out.plainSize = record.plainSize;
  }
  if (record.custom !== undefined) {
    const custom = record.custom;
    if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) throw new DecodeError('object metadata: "custom" is not an object');
    const entries = Object.entries(custom);
    if (entries.some(([, v]) => typeof v !== 'string')) throw new DecodeError('object metadata: a "custom" value is not a string');
    // fromEntries defines own properties, so a "__proto__" name stays an ordinary entry.
    out.custom = Object.fromEntries(entries) as Record<string, string>;
  }
  return out;
}

/**
 * Encrypts `metadata` for the object whose {@link pathContentKey} is `wrappingKey`.
 *
 * @example
 * ```ts
 * const metadata = encryptMetadata(pathContentKey(rootKey, bucket, path), {
 *   contentType: 'image/jpeg', plainSize: 1_234_567, custom: { camera: 'x100' },
 * });
 * ```
 */
export function encryptMetadata(wrappingKey: Uint8Array, metadata: ObjectMetadata): EncryptedMetadata {
  expectBytes(wrappingKey, 'wrappingKey', KEY_LENGTH);
  const plaintext = serialize(metadata);
  const provider = getCryptoProvider();
  const metadataKey = provider.randomBytes(KEY_LENGTH);
  try {
    const encryptedMetadataNonce = provider.randomBytes(WRAP_NONCE_LENGTH);
    const encryptedMetadata = provider.aeadSeal('xsalsa20-poly1305', metadataKey, encryptedMetadataNonce, plaintext);
    const wrapped = wrapKey(wrappingKey, metadataKey);
    return { encryptedMetadata, encryptedMetadataNonce, encryptedMetadataKey: wrapped.encryptedKey, encryptedMetadataKeyNonce: wrapped.encryptedKeyNonce };
  } finally {
    wipe(metadataKey);
    wipe(plaintext);
  }
}

/**
 * Decrypts {@link encryptMetadata} output. A wrong key or altered bytes throw
 * `UnauthenticatedError`; nothing unauthenticated is parsed.
 */
export function decryptMetadata(wrappingKey: Uint8Array, encrypted: EncryptedMetadata): ObjectMetadata {
  expectBytes(encrypted?.encryptedMetadata, 'encryptedMetadata');
  expectBytes(encrypted.encryptedMetadataNonce, 'encryptedMetadataNonce');
  const metadataKey = unwrapKey(wrappingKey, encrypted.encryptedMetadataKey, encrypted.encryptedMetadataKeyNonce, 'metadata key');
  try {
    if (encrypted.encryptedMetadataNonce.length !== WRAP_NONCE_LENGTH) {
      throw malformedCiphertext('metadata', `nonce of ${encrypted.encryptedMetadataNonce.length} bytes, expected ${WRAP_NONCE_LENGTH}`);
    }
    let plaintext: Uint8Array;
    try {
      plaintext = getCryptoProvider().aeadOpen('xsalsa20-poly1305', metadataKey, encrypted.encryptedMetadataNonce, encrypted.encryptedMetadata);
    } catch (err) {
      throw cannotDecrypt('metadata', err);
    }
    return parse(plaintext);
  } finally {
    wipe(metadataKey);
  }
}

/**
 * The same encrypted metadata with its key re-wrapped from `oldWrappingKey` to `newWrappingKey`
 * under a fresh nonce; the metadata ciphertext and its nonce are unchanged.
 *
 * @example
 * ```ts
 * const moved = rewrapMetadataKey(oldPathContentKey, newPathContentKey, object.metadata);
 * ```
 */
export function rewrapMetadataKey(oldWrappingKey: Uint8Array, newWrappingKey: Uint8Array, encrypted: EncryptedMetadata): EncryptedMetadata {
  const wrapped = rewrapKey(oldWrappingKey, newWrappingKey, encrypted.encryptedMetadataKey, encrypted.encryptedMetadataKeyNonce);
  return { ...encrypted, encryptedMetadataKey: wrapped.encryptedKey, encryptedMetadataKeyNonce: wrapped.encryptedKeyNonce };
}
