/**
 * API keys: `hk1_` followed by the lowercase base32 of 32 random bytes (56 characters). Only
 * their SHA-256 is stored; a key is found by its hash, so no comparison of secrets is needed.
 */
import { fromHex, toBase32, toHex, utf8 } from '../core/bytes.js';
import { InvalidArgumentError } from '../core/errors.js';
import { getCryptoProvider } from '../crypto/select.js';

export const API_KEY_PREFIX = 'hk1_';
const SECRET_BYTES = 32;
const WELL_FORMED = /^hk1_[a-z2-7]{52}$/;

/** A fresh API key. Show it once; keep only {@link apiKeyHash}. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + toBase32(getCryptoProvider().randomBytes(SECRET_BYTES));
}

/** True when `text` has the form of an API key (checked before any lookup). */
export function isWellFormedApiKey(text: unknown): text is string {
  return typeof text === 'string' && WELL_FORMED.test(text);
}

/** The SHA-256 the satellite stores for `apiKey`. */
export function apiKeyHash(apiKey: string): Uint8Array {
  return getCryptoProvider().sha256(utf8(apiKey));
}

/**
 * The public name of a key: hex of its SHA-256 (64 characters). Safe to log and show; used to
 * list and revoke keys.
 *
 * @example
 * ```ts
 * await projects.revokeApiKey(apiKeyId(leakedKey));
 * ```
 */
export function apiKeyId(apiKey: string): string {
  return toHex(apiKeyHash(apiKey));
}

/** The stored hash named by a key id; `InvalidArgumentError` for anything but 64 hex digits. */
export function keyIdHash(keyId: string): Uint8Array {
  if (typeof keyId !== 'string' || !/^[0-9a-f]{64}$/.test(keyId)) {
    throw new InvalidArgumentError('"keyId" expected 64 lowercase hex digits (see apiKeyId)');
  }
  return fromHex(keyId);
}

/** A new project id: 16 random bytes. */
export function generateProjectId(): Uint8Array {
  return getCryptoProvider().randomBytes(16);
}
