/**
 * One interface for every primitive handoff uses, with two implementations: node:crypto on Node
 * (fast) and the @noble libraries everywhere else (browsers). Both must produce identical
 * outputs and accept exactly the same signatures (strict RFC 8032).
 */

/** AEAD algorithms: AES-256-GCM takes a 12-byte nonce, XSalsa20-Poly1305 a 24-byte nonce. */
export type AeadAlgorithm = 'aes-256-gcm' | 'xsalsa20-poly1305';

/** A SHA-256 fed in pieces. */
export interface IncrementalHash {
  update(data: Uint8Array): void;
  /** The digest of everything passed to `update`; the hash is spent afterwards. */
  digest(): Uint8Array;
}

/** The primitives the SDK uses (hashes, HMAC, AEAD, Ed25519, randomness), as one interface with a node:crypto and a @noble implementation. */
export interface CryptoProvider {
  /** `'node'` or `'noble'`. */
  readonly name: 'node' | 'noble' | (string & {});
  sha256(data: Uint8Array): Uint8Array;
  /** A SHA-256 of data that arrives in chunks (pieces streaming in or out). */
  createSha256(): IncrementalHash;
  sha512(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;
  /** The 32-byte public key of a 32-byte Ed25519 private key (seed). */
  ed25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** A 64-byte Ed25519 signature. */
  ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** Strict RFC 8032 verification; returns false (never throws) for any malformed input. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Encrypts and authenticates: returns ciphertext followed by the 16-byte tag. */
  aeadSeal(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData?: Uint8Array): Uint8Array;
  /**
   * {@link aeadSeal} with the ciphertext and the 16-byte tag returned apart (joined, they are
   * exactly `aeadSeal`'s output), sparing the copy that joins them: a caller that spreads or
   * writes the bytes anyway (an erasure encoder, a socket) takes the two. Optional: callers fall
   * back to `aeadSeal` where a provider lacks it. The arrays may be views of one buffer.
   */
  aeadSealParts?(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData?: Uint8Array): [ciphertext: Uint8Array, tag: Uint8Array];
  /** Verifies and decrypts; throws `UnauthenticatedError` when the tag does not match. */
  aeadOpen(algorithm: AeadAlgorithm, key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, associatedData?: Uint8Array): Uint8Array;
}
