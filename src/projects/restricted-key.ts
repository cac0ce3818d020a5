/**
 * Restricted API keys, macaroon style: anyone holding a key can narrow it without asking the
 * satellite, and nobody can widen one.
 *
 *   secret   = HMAC-SHA256(apiKey, "handoff/api-key/caveat-root/v1")   (the satellite stores it)
 *   tag_0    = HMAC-SHA256(secret, "handoff/api-key/restricted/v1" || keyHash)
 *   tag_i    = HMAC-SHA256(tag_{i-1}, caveat_i bytes)
 *   key      = "hk1r_" + base32(msgpack { keyHash, caveats: [caveat_1 … caveat_n], tag: tag_n })
 *
 * `keyHash` is the base key's SHA-256 (its public id), so revoking the base key revokes every
 * key derived from it. Adding a caveat needs only the last tag; removing or changing one needs
 * the tag before it, which the key no longer carries.
 */
import { decodeMessage, encodeMessage } from '../codec/message.js';
import { s } from '../codec/s.js';
import { concatBytes, equalBytes, fromBase32, toBase32, utf8 } from '../core/bytes.js';
import { InvalidArgumentError } from '../core/errors.js';
import { getCryptoProvider } from '../crypto/select.js';
import { apiKeyHash, isWellFormedApiKey } from './api-key.js';
import { decodeCaveat, encodeCaveat, MAX_CAVEAT_BYTES, type Caveat } from './caveat.js';

export const RESTRICTED_API_KEY_PREFIX = 'hk1r_';
/** Longest restricted key, in characters: it travels in every request header. */
export const MAX_RESTRICTED_API_KEY_LENGTH = 4096;
const MAX_CAVEATS = 16;

const Body = s.object({
  keyHash: s.bytes({ length: 32 }),
  caveats: s.array(s.bytes({ min: 1, max: MAX_CAVEAT_BYTES }), { min: 1, max: MAX_CAVEATS }),
  tag: s.bytes({ length: 32 }),
});

/** A restricted key taken apart; its caveats are decoded but not yet verified. */
export interface RestrictedApiKey {
  readonly keyHash: Uint8Array;
  readonly caveatBytes: readonly Uint8Array[];
  readonly caveats: readonly Caveat[];
  readonly tag: Uint8Array;
}

/** The caveat root secret of a base key: what the satellite keeps to check derived keys. */
export function caveatSecret(apiKey: string): Uint8Array {
  return getCryptoProvider().hmacSha256(utf8(apiKey), utf8('handoff/api-key/caveat-root/v1'));
}

function chain(secret: Uint8Array, keyHash: Uint8Array, caveats: readonly Uint8Array[]): Uint8Array {
  const crypto = getCryptoProvider();
  let tag = crypto.hmacSha256(secret, concatBytes(utf8('handoff/api-key/restricted/v1'), keyHash));
  for (const caveat of caveats) tag = crypto.hmacSha256(tag, caveat);
  return tag;
}

/** True when `text` looks like a restricted key (checked before decoding it). */
export function isRestrictedApiKey(text: unknown): text is string {
  return typeof text === 'string' && text.startsWith(RESTRICTED_API_KEY_PREFIX);
}

/**
 * A key that can do what `apiKey` can, minus what `caveat` forbids. `apiKey` is a base key
 * (`hk1_…`) or an already restricted one; the satellite is not contacted.
 *
 * @example
 * ```ts
 * const shared = restrictApiKey(apiKey, { readOnly: true, notAfter: Date.parse('2026-12-31') });
 * ```
 */
export function restrictApiKey(apiKey: string, caveat: Caveat): string {
  const bytes = encodeCaveat(caveat);
  if (isWellFormedApiKey(apiKey)) {
    const keyHash = apiKeyHash(apiKey);
    return encodeRestricted(keyHash, [bytes], chain(caveatSecret(apiKey), keyHash, [bytes]));
  }
  const parent = decodeRestrictedApiKey(apiKey);
  if (parent.caveats.length >= MAX_CAVEATS) throw new InvalidArgumentError(`a restricted API key holds at most ${MAX_CAVEATS} caveats`);
  return encodeRestricted(parent.keyHash, [...parent.caveatBytes, bytes], getCryptoProvider().hmacSha256(parent.tag, bytes));
}

function encodeRestricted(keyHash: Uint8Array, caveats: readonly Uint8Array[], tag: Uint8Array): string {
  const text = RESTRICTED_API_KEY_PREFIX + toBase32(encodeMessage(Body, { keyHash, caveats: [...caveats], tag }));
  if (text.length > MAX_RESTRICTED_API_KEY_LENGTH) throw new InvalidArgumentError(`the restricted API key would be ${text.length} characters, over the limit of ${MAX_RESTRICTED_API_KEY_LENGTH}`);
  return text;
}

/** Takes a restricted key apart; `InvalidArgumentError` (or `DecodeError`) for anything malformed. */
export function decodeRestrictedApiKey(text: string): RestrictedApiKey {
  if (!isRestrictedApiKey(text)) throw new InvalidArgumentError(`a restricted API key starts with ${RESTRICTED_API_KEY_PREFIX}`);
  if (text.length > MAX_RESTRICTED_API_KEY_LENGTH) throw new InvalidArgumentError(`a restricted API key has at most ${MAX_RESTRICTED_API_KEY_LENGTH} characters`);
  let raw: Uint8Array;
  try {
    raw = fromBase32(text.slice(RESTRICTED_API_KEY_PREFIX.length));
  } catch (err) {
    throw new InvalidArgumentError('a restricted API key is base32 after its prefix', { cause: err });
  }
  // Re-encoding must give the same text: one string per key, so no two spellings of one key.
  if (RESTRICTED_API_KEY_PREFIX + toBase32(raw) !== text) throw new InvalidArgumentError('a restricted API key is lowercase base32 without padding');
  const body = decodeMessage(Body, raw, { maxBytes: MAX_RESTRICTED_API_KEY_LENGTH });
  return { keyHash: body.keyHash, caveatBytes: body.caveats, caveats: body.caveats.map(decodeCaveat), tag: body.tag };
}

/** True when `key`'s tag chain was made from the base key whose caveat secret is `secret`. */
export function verifyRestrictedApiKey(key: RestrictedApiKey, secret: Uint8Array): boolean {
  return equalBytes(chain(secret, key.keyHash, key.caveatBytes), key.tag);
}
