/**
 * The portable crypto provider: pure JavaScript from the audited @noble libraries, for browsers
 * and any runtime without node:crypto. Same outputs as {@link nodeCryptoProvider}, and it accepts
 * exactly the same Ed25519 signatures (see checks.ts for the rules).
 */
import { gcm } from '@noble/ciphers/aes.js';
import * as ed from '@noble/ed25519';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { UnavailableError } from '../core/errors.js';
import { authenticationFailure, checkAeadArguments, splitSealed, TAG_LENGTH, xsalsaOpen, xsalsaSeal } from './aead.js';
import { expectBytes, expectLength, passesEd25519Prechecks } from './checks.js';
import type { AeadAlgorithm, CryptoProvider } from './provider.js';

// @noble/ed25519's synchronous API needs a SHA-512 hook. Setting it on first use, not at import,
// keeps importing this module free of side effects (package.json says "sideEffects": false).
let ed25519Ready = false;
function ed25519(): typeof ed {
  if (!ed25519Ready) {
    ed.hashes.sha512 ??= sha512;
    ed25519Ready = true;
  }
  return ed;
}

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * Strict verification with the cofactorless equation [S]B = R + [k]A, as OpenSSL checks it, so
 * that a signature built with a small-order component (which the cofactored equation of
 * `ed.verify` would accept) is refused here as it is by the node provider.
 */
function verifyCofactorless(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const { Point, etc } = ed25519();
  const r = signature.subarray(0, 32);
  let A: ed.Point;
  let R: ed.Point;
  try {
    // zip215 = false: strict RFC 8032 decoding (y < p, no x = 0 with the sign bit set).
    A = Point.fromBytes(publicKey, false);
    R = Point.fromBytes(r, false);
  } catch {
    return false;
  }
  const n = Point.CURVE().n;
  const s = bytesToNumberLE(signature.subarray(32));
  const k = etc.mod(bytesToNumberLE(sha512(etc.concatBytes(r, publicKey, message))), n);
  // Unsafe (variable-time) multiplication is fine: every input here is public.
  const sB = Point.BASE.multiply(s, false);
  return sB.equals(R.add(A.multiply(k, false)));
}

function randomBytes(length: number): Uint8Array {
  expectLength(length, 'length');
  const source = globalThis.crypto;
  if (typeof source?.getRandomValues !== 'function') {
    throw new UnavailableError('no secure random source: globalThis.crypto.getRandomValues is missing');
  }
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let offset = 0; offset < length; offset += 65_536) {
    source.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
  }
  return out;
}

/**
 * A {@link CryptoProvider} built on @noble/hashes, @noble/ed25519 and @noble/ciphers. Works in
 * every JavaScript runtime with `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * import { nobleCryptoProvider, setCryptoProvider } from 'handoff';
 * setCryptoProvider(nobleCryptoProvider()); // e.g. to test the browser path under Node
 * ```
 */
export function nobleCryptoProvider(): CryptoProvider {
  return {
    name: 'noble',
    sha256: (data) => sha256(expectBytes(data, 'data')),
    createSha256() {
      const hash = sha256.create();
      return {
        update: (data) => void hash.update(expectBytes(data, 'data')),
        digest: () => hash.digest(),
      };
    },
    sha512: (data) => sha512(expectBytes(data, 'data')),
    hmacSha256: (key, data) => hmac(sha256, expectBytes(key, 'key'), expectBytes(data, 'data')),
    hmacSha512: (key, data) => hmac(sha512, expectBytes(key, 'key'), expectBytes(data, 'data')),
    randomBytes,
    ed25519PublicKey(privateKey) {
      return ed25519().getPublicKey(expectBytes(privateKey, 'privateKey', 32));
    },
    ed25519Sign(privateKey, message) {
      expectBytes(privateKey, 'privateKey', 32);
      return ed25519().sign(expectBytes(message, 'message'), privateKey);
    },
    ed25519Verify(publicKey, message, signature) {
      if (!passesEd25519Prechecks(publicKey, message, signature)) return false;
      return verifyCofactorless(publicKey, message, signature);
    },
    aeadSeal(algorithm: AeadAlgorithm, key, nonce, plaintext, associatedData) {
      const aad = checkAeadArguments(algorithm, key, nonce, plaintext, 'plaintext', associatedData);
      if (algorithm === 'xsalsa20-poly1305') return xsalsaSeal(key, nonce, plaintext);
      return gcm(key, nonce, aad).encrypt(plaintext);
    },
    aeadSealParts(algorithm: AeadAlgorithm, key, nonce, plaintext, associatedData) {
      const aad = checkAeadArguments(algorithm, key, nonce, plaintext, 'plaintext', associatedData);
      return splitSealed(algorithm === 'xsalsa20-poly1305' ? xsalsaSeal(key, nonce, plaintext) : gcm(key, nonce, aad).encrypt(plaintext));
    },
    aeadOpen(algorithm: AeadAlgorithm, key, nonce, sealed, associatedData) {
      const aad = checkAeadArguments(algorithm, key, nonce, sealed, 'sealed', associatedData);
      if (algorithm === 'xsalsa20-poly1305') return xsalsaOpen(key, nonce, sealed);
      if (sealed.length < TAG_LENGTH) throw authenticationFailure(algorithm);
      try {
        return gcm(key, nonce, aad).decrypt(sealed);
      } catch (err) {
        throw authenticationFailure(algorithm, err);
      }
    },
  };
}

