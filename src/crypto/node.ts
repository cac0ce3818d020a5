/**
 * The fast crypto provider: node:crypto (OpenSSL), with XSalsa20-Poly1305 from @noble/ciphers
 * because OpenSSL has none. This module never imports node:crypto itself, so browser bundles
 * that include it (through the package root) do not break: the module object comes from
 * `process.getBuiltinModule` or from the caller.
 */
import type * as NodeCrypto from 'node:crypto';
import { asUint8Array, concatBytes, equalBytes, fromHex } from '../core/bytes.js';
import { UnavailableError } from '../core/errors.js';
import { authenticationFailure, checkAeadArguments, splitSealed, TAG_LENGTH, xsalsaOpen, xsalsaSeal } from './aead.js';
import { expectBytes, expectLength, passesEd25519Prechecks } from './checks.js';
import type { AeadAlgorithm, CryptoProvider } from './provider.js';

/** The `node:crypto` module, as `await import('node:crypto')` returns it. */
export type NodeCryptoModule = typeof NodeCrypto;

/** DER headers that turn a raw 32-byte Ed25519 seed / public key into PKCS#8 / SPKI. */
const PKCS8_ED25519_PREFIX = fromHex('302e020100300506032b657004220420');
const SPKI_ED25519_PREFIX = fromHex('302a300506032b6570032100');

/** How many verifying keys stay imported; a node mostly verifies a few satellites and peers. */
const VERIFY_KEY_CACHE_SIZE = 512;

/** `node:crypto` from `process.getBuiltinModule` (Node >= 20.16), or undefined elsewhere. */
export function builtinNodeCrypto(): NodeCryptoModule | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.versions?.node !== 'string' || typeof proc.getBuiltinModule !== 'function') return undefined;
  return proc.getBuiltinModule('node:crypto') as NodeCryptoModule | undefined;
}

function latin1Key(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/**
 * A {@link CryptoProvider} on node:crypto. Ed25519 keys are imported into OpenSSL once and cached:
 * signing keys in a `WeakMap` keyed by the private-key array (dropped with it), verifying keys in a
 * small LRU keyed by the public-key bytes — re-importing a key on every call halves the rate.
 *
 * `crypto` defaults to the runtime's own module via `process.getBuiltinModule`; pass it yourself
 * on runtimes without that function.
 *
 * @example
 * ```ts
 * import { nodeCryptoProvider, setCryptoProvider } from 'handoff';
 * setCryptoProvider(nodeCryptoProvider(await import('node:crypto')));
 * ```
 */
export function nodeCryptoProvider(crypto: NodeCryptoModule | undefined = builtinNodeCrypto()): CryptoProvider {
  if (crypto === undefined) {
    throw new UnavailableError("node:crypto is not available here; pass it: nodeCryptoProvider(await import('node:crypto'))");
  }
  const nodeCrypto = crypto;
  const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  /**
   * Imports a raw Ed25519 key. As a JWK it goes straight to OpenSSL's raw-key constructor; as
   * DER it goes through OpenSSL 3's generic decoder, about 15× slower for a private key and 7×
   * for a public one (≈ 1 ms vs 65 µs on a busy 2-vCPU machine) — a cost paid for every fresh
   * piece key (one per segment upload, one per graceful-exit transfer). A private JWK's `x` must
   * be a string, but the key is built from `d` alone (its public half is derived); should a
   * runtime ever check `x`, the import throws and the DER path takes over (for good: every seed
   * would fail the same way). A public key JWK refuses is imported as DER, which decides.
   */
  let privateJwk = true;
  const importKey = (raw: Uint8Array, isPrivate: boolean): NodeCrypto.KeyObject => {
    if (!isPrivate || privateJwk) {
      const encoded = toBuffer(raw).toString('base64url');
      try {
        return isPrivate
          ? nodeCrypto.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: encoded, x: '' }, format: 'jwk' })
          : nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encoded }, format: 'jwk' });
      } catch {
        if (isPrivate) privateJwk = false;
      }
    }
    const der = concatBytes(isPrivate ? PKCS8_ED25519_PREFIX : SPKI_ED25519_PREFIX, raw);
    try {
      return isPrivate ? nodeCrypto.createPrivateKey({ key: toBuffer(der), format: 'der', type: 'pkcs8' }) : nodeCrypto.createPublicKey({ key: toBuffer(der), format: 'der', type: 'spki' });
    } finally {
      der.fill(0);
    }
  };

  // The copy of the seed guards against a caller reusing (mutating) the same array for another key.
  const signingKeys = new WeakMap<Uint8Array, { seed: Uint8Array; key: NodeCrypto.KeyObject }>();
  function signingKey(privateKey: Uint8Array): NodeCrypto.KeyObject {
    const cached = signingKeys.get(privateKey);
    if (cached !== undefined && equalBytes(cached.seed, privateKey)) return cached.key;
    const key = importKey(privateKey, true);
    signingKeys.set(privateKey, { seed: privateKey.slice(), key });
    return key;
  }

  const verifyingKeys = new Map<string, NodeCrypto.KeyObject>();
  function verifyingKey(publicKey: Uint8Array): NodeCrypto.KeyObject {
    const id = latin1Key(publicKey);
    let key = verifyingKeys.get(id);
    if (key !== undefined) {
      // Re-insert so the map's insertion order is least-recently-used first.
      verifyingKeys.delete(id);
    } else {
      key = importKey(publicKey, false);
      if (verifyingKeys.size >= VERIFY_KEY_CACHE_SIZE) verifyingKeys.delete(verifyingKeys.keys().next().value!);
    }
    verifyingKeys.set(id, key);
    return key;
  }

  // crypto.hash (Node >= 20.12) skips the Hash object for one-shot digests.
  const oneShot = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;
  const digest = (algorithm: 'sha256' | 'sha512', data: Uint8Array): Uint8Array =>
    asUint8Array(oneShot !== undefined ? oneShot(algorithm, data, 'buffer') : nodeCrypto.createHash(algorithm).update(data).digest());

  return {
    name: 'node',
    sha256: (data) => digest('sha256', expectBytes(data, 'data')),
    createSha256() {
      const hash = nodeCrypto.createHash('sha256');
      return {
        update: (data) => void hash.update(expectBytes(data, 'data')),
        digest: () => asUint8Array(hash.digest()),
      };
    },
    sha512: (data) => digest('sha512', expectBytes(data, 'data')),
    hmacSha256: (key, data) =>
      asUint8Array(nodeCrypto.createHmac('sha256', expectBytes(key, 'key')).update(expectBytes(data, 'data')).digest()),
    hmacSha512: (key, data) =>
      asUint8Array(nodeCrypto.createHmac('sha512', expectBytes(key, 'key')).update(expectBytes(data, 'data')).digest()),
    randomBytes: (length) => nodeCrypto.randomFillSync(new Uint8Array(expectLength(length, 'length'))),
    ed25519PublicKey(privateKey) {
      // The JWK export carries the public half raw: no encoder, no second KeyObject.
      const { x } = signingKey(expectBytes(privateKey, 'privateKey', 32)).export({ format: 'jwk' });
      const publicKey = typeof x === 'string' ? Buffer.from(x, 'base64url') : undefined;
      if (publicKey?.length === 32) return new Uint8Array(publicKey);
      const spki = nodeCrypto.createPublicKey(signingKey(privateKey)).export({ format: 'der', type: 'spki' });
      return new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
    },
    ed25519Sign(privateKey, message) {
      const key = signingKey(expectBytes(privateKey, 'privateKey', 32));
      return asUint8Array(nodeCrypto.sign(null, expectBytes(message, 'message'), key));
    },
    ed25519Verify(publicKey, message, signature) {
      // OpenSSL checks S < L and compares R byte-for-byte (cofactorless); the prechecks add what
      // it lacks: canonical, non-small-order public keys.
      if (!passesEd25519Prechecks(publicKey, message, signature)) return false;
      try {
        return nodeCrypto.verify(null, message, verifyingKey(publicKey), signature);
      } catch {
        return false;
      }
    },
    aeadSeal(algorithm: AeadAlgorithm, key, nonce, plaintext, associatedData) {
      const aad = checkAeadArguments(algorithm, key, nonce, plaintext, 'plaintext', associatedData);
      if (algorithm === 'xsalsa20-poly1305') return xsalsaSeal(key, nonce, plaintext);
      const cipher = nodeCrypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
      if (aad !== undefined) cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      cipher.final(); // GCM is a stream mode: final() only computes the tag, it emits no bytes
      const length = body.length + TAG_LENGTH;
      // Small outputs must not come from Buffer's shared pool (the result would not own its
      // ArrayBuffer); large ones never do, and concat is the fastest path for them.
      if (length >= Buffer.poolSize) return asUint8Array(Buffer.concat([body, cipher.getAuthTag()], length));
      const out = asUint8Array(Buffer.allocUnsafeSlow(length));
      out.set(body, 0);
      out.set(cipher.getAuthTag(), body.length);
      return out;
    },
    aeadSealParts(algorithm: AeadAlgorithm, key, nonce, plaintext, associatedData) {
      const aad = checkAeadArguments(algorithm, key, nonce, plaintext, 'plaintext', associatedData);
      if (algorithm === 'xsalsa20-poly1305') return splitSealed(xsalsaSeal(key, nonce, plaintext));
      const cipher = nodeCrypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
      if (aad !== undefined) cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      cipher.final();
      return [asUint8Array(body), asUint8Array(cipher.getAuthTag())];
    },
    aeadOpen(algorithm: AeadAlgorithm, key, nonce, sealed, associatedData) {
      const aad = checkAeadArguments(algorithm, key, nonce, sealed, 'sealed', associatedData);
      if (algorithm === 'xsalsa20-poly1305') return xsalsaOpen(key, nonce, sealed);
      if (sealed.length < TAG_LENGTH) throw authenticationFailure(algorithm);
      const length = sealed.length - TAG_LENGTH;
      const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
      decipher.setAuthTag(sealed.subarray(length));
      if (aad !== undefined) decipher.setAAD(aad);
      const body = decipher.update(sealed.subarray(0, length));
      try {
        decipher.final();
      } catch (err) {
        body.fill(0); // never hand out (or leave behind) plaintext that did not authenticate
        throw authenticationFailure(algorithm, err);
      }
      return asUint8Array(body);
    },
  };
}
