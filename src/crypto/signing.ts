/**
 * Signed structures. A signature covers `canonicalEncode([domainTag, ...fields])`: the domain
 * tag keeps a signature made for one kind of structure from being replayed as another, and the
 * canonical encoding makes two implementations sign the same bytes. The signature field itself
 * is never among the fields.
 */
import { type CanonicalValue, canonicalEncode } from '../codec/canonical.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { CryptoProvider } from './provider.js';
import { getCryptoProvider } from './select.js';

/** Anything that can produce an Ed25519 signature, such as an `Identity`. */
export interface Signer {
  sign(message: Uint8Array): Uint8Array;
}

/**
 * A domain tag: lowercase ASCII segments (letters, digits, single `.`, `_` or `-` between
 * them) separated by `/`, ending in a version segment `v1`, `v2`, ...; at most 128 characters.
 * handoff's own structures use the `handoff/` namespace, e.g. `handoff/order-limit/v1`.
 */
export const DOMAIN_TAG_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*\/v[1-9][0-9]*$/;

const MAX_DOMAIN_TAG_LENGTH = 128;

/** True when `tag` is a valid domain tag (see {@link DOMAIN_TAG_PATTERN}). */
export function isDomainTag(tag: unknown): tag is string {
  return typeof tag === 'string' && tag.length <= MAX_DOMAIN_TAG_LENGTH && DOMAIN_TAG_PATTERN.test(tag);
}

/** Throws `InvalidArgumentError` unless `tag` is a valid domain tag. */
export function assertDomainTag(tag: unknown): asserts tag is string {
  if (!isDomainTag(tag)) {
    const shown = typeof tag === 'string' ? JSON.stringify(tag.slice(0, 64)) : typeof tag;
    throw new InvalidArgumentError(`invalid domain tag ${shown}: expected lowercase segments ending in a version, like "handoff/order-limit/v1"`);
  }
}

/**
 * The exact bytes a signature over (`tag`, `fields`) covers.
 *
 * @example
 * ```ts
 * const message = signingBytes('handoff/piece-hash/v1', [pieceId, hash, size, timestamp]);
 * ```
 */
export function signingBytes(tag: string, fields: readonly CanonicalValue[]): Uint8Array {
  assertDomainTag(tag);
  return canonicalEncode([tag, ...fields]);
}

/**
 * Signs (`tag`, `fields`) with `signer` and returns the signature.
 *
 * @example
 * ```ts
 * const signature = signStructure(identity, 'handoff/order-limit/v1', orderLimitFields(limit));
 * ```
 */
export function signStructure(signer: Signer, tag: string, fields: readonly CanonicalValue[]): Uint8Array {
  return signer.sign(signingBytes(tag, fields));
}

/**
 * True when `signature` is `publicKey`'s Ed25519 signature (strict RFC 8032) over (`tag`,
 * `fields`). A malformed key or signature is simply `false`; an invalid tag or a field with no
 * canonical form throws `InvalidArgumentError`, because that is a bug in the caller, not a
 * forgery. `provider` defaults to {@link getCryptoProvider}.
 *
 * @example
 * ```ts
 * if (!verifyStructure(satelliteId.publicKey, 'handoff/order-limit/v1', fields, limit.signature)) {
 *   throw new UnauthenticatedError('order limit signature does not verify');
 * }
 * ```
 */
export function verifyStructure(
  publicKey: Uint8Array,
  tag: string,
  fields: readonly CanonicalValue[],
  signature: Uint8Array,
  provider: CryptoProvider = getCryptoProvider(),
): boolean {
  const message = signingBytes(tag, fields);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  return provider.ed25519Verify(publicKey, message, signature);
}
