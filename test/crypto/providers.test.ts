import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/core/bytes.js';
import { type AeadAlgorithm, nobleCryptoProvider, nodeCryptoProvider, type CryptoProvider } from '../../src/crypto/index.js';

const node = nodeCryptoProvider();
const noble = nobleCryptoProvider();
const providers: CryptoProvider[] = [node, noble];

const bytes = (maxLength = 300) => fc.uint8Array({ maxLength });
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function numberToLE(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}
function numberFromLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}
function flipBit(data: Uint8Array, bit: number): Uint8Array {
  const out = data.slice();
  out[Math.floor(bit / 8) % out.length]! ^= 1 << bit % 8;
  return out;
}

/** Both providers' answers to one verification; they must always agree. */
function verdicts(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): [boolean, boolean] {
  return [node.ed25519Verify(publicKey, message, signature), noble.ed25519Verify(publicKey, message, signature)];
}

describe('the node and noble providers give the same results', () => {
  it('for hashes and HMACs', () => {
    fc.assert(
      fc.property(bytes(2000), bytes(200), (data, key) => {
        expect(toHex(node.sha256(data))).toBe(toHex(noble.sha256(data)));
        expect(toHex(node.sha512(data))).toBe(toHex(noble.sha512(data)));
        expect(toHex(node.hmacSha256(key, data))).toBe(toHex(noble.hmacSha256(key, data)));
        expect(toHex(node.hmacSha512(key, data))).toBe(toHex(noble.hmacSha512(key, data)));
      }),
      { numRuns: 100 },
    );
  });

  it('for SHA-256 fed in chunks, however the data is cut, equal to the one-shot digest', () => {
    fc.assert(
      fc.property(bytes(5000), fc.array(fc.nat(5000), { maxLength: 6 }), (data, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        for (const provider of providers) {
          const hash = provider.createSha256();
          let from = 0;
          for (const to of [...points, data.length]) {
            hash.update(data.subarray(from, to));
            from = to;
          }
          expect(toHex(hash.digest())).toBe(toHex(node.sha256(data)));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('for AES-256-GCM, and each opens what the other sealed', () => {
    fc.assert(
      fc.property(seed, fc.uint8Array({ minLength: 12, maxLength: 12 }), bytes(), fc.option(bytes(64), { nil: undefined }), (key, nonce, plaintext, aad) => {
        const sealed = node.aeadSeal('aes-256-gcm', key, nonce, plaintext, aad);
        expect(toHex(noble.aeadSeal('aes-256-gcm', key, nonce, plaintext, aad))).toBe(toHex(sealed));
        expect(sealed.length).toBe(plaintext.length + 16);
        for (const provider of providers) {
          const [ciphertext, tag] = provider.aeadSealParts!('aes-256-gcm', key, nonce, plaintext, aad);
          expect([ciphertext.length, tag.length]).toEqual([plaintext.length, 16]);
          expect(toHex(concatBytes(ciphertext, tag))).toBe(toHex(sealed));
        }
        expect(toHex(noble.aeadOpen('aes-256-gcm', key, nonce, sealed, aad))).toBe(toHex(plaintext));
        expect(toHex(node.aeadOpen('aes-256-gcm', key, nonce, sealed, aad))).toBe(toHex(plaintext));
      }),
      { numRuns: 100 },
    );
  });

  it('for XSalsa20-Poly1305, and each opens what the other sealed', () => {
    fc.assert(
      fc.property(seed, fc.uint8Array({ minLength: 24, maxLength: 24 }), bytes(), (key, nonce, plaintext) => {
        const sealed = node.aeadSeal('xsalsa20-poly1305', key, nonce, plaintext);
        expect(toHex(noble.aeadSeal('xsalsa20-poly1305', key, nonce, plaintext))).toBe(toHex(sealed));
        for (const provider of providers) expect(toHex(concatBytes(...provider.aeadSealParts!('xsalsa20-poly1305', key, nonce, plaintext)))).toBe(toHex(sealed));
        expect(toHex(noble.aeadOpen('xsalsa20-poly1305', key, nonce, sealed))).toBe(toHex(plaintext));
        expect(toHex(node.aeadOpen('xsalsa20-poly1305', key, nonce, sealed))).toBe(toHex(plaintext));
      }),
      { numRuns: 100 },
    );
  });

  it('for Ed25519 keys and signatures, and a signature from one verifies in the other', () => {
    fc.assert(
      fc.property(seed, bytes(), (privateKey, message) => {
        const publicKey = node.ed25519PublicKey(privateKey);
        expect(toHex(noble.ed25519PublicKey(privateKey))).toBe(toHex(publicKey));
        const signature = node.ed25519Sign(privateKey, message);
        expect(toHex(noble.ed25519Sign(privateKey, message))).toBe(toHex(signature));
        expect(verdicts(publicKey, message, signature)).toEqual([true, true]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('Ed25519 verification is strict and identical in both providers', () => {
  const privateKey = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
  const publicKey = node.ed25519PublicKey(privateKey);
  const message = utf8('hand this piece over');
  const signature = node.ed25519Sign(privateKey, message);

  it('refuses any flipped bit in the message, the signature or the key', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom('message', 'signature', 'publicKey'), (bit, where) => {
        const m = where === 'message' ? flipBit(message, bit) : message;
        const s = where === 'signature' ? flipBit(signature, bit) : signature;
        const k = where === 'publicKey' ? flipBit(publicKey, bit) : publicKey;
        expect(verdicts(k, m, s)).toEqual([false, false]);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a non-canonical S (S + L, and S = L)', () => {
    const s = numberFromLE(signature.subarray(32));
    const malleated = concatBytes(signature.subarray(0, 32), numberToLE(s + L));
    expect(verdicts(publicKey, message, malleated)).toEqual([false, false]);
    expect(verdicts(publicKey, message, concatBytes(signature.subarray(0, 32), numberToLE(L)))).toEqual([false, false]);
  });

  it('returns false, never throws, for wrong lengths and values that are not bytes', () => {
    const cases: [unknown, unknown, unknown][] = [
      [publicKey.subarray(1), message, signature],
      [concatBytes(publicKey, new Uint8Array(1)), message, signature],
      [publicKey, message, signature.subarray(0, 63)],
      [publicKey, message, new Uint8Array(0)],
      ['not a key', message, signature],
      [publicKey, 'message', signature],
      [publicKey, message, null],
    ];
    for (const [k, m, s] of cases) {
      for (const provider of providers) {
        expect(provider.ed25519Verify(k as Uint8Array, m as Uint8Array, s as Uint8Array)).toBe(false);
      }
    }
  });

  it('agrees on random keys and signatures (all false)', () => {
    fc.assert(
      fc.property(seed, fc.uint8Array({ minLength: 64, maxLength: 64 }), bytes(40), (k, s, m) => {
        expect(verdicts(k, m, s)).toEqual([false, false]);
      }),
      { numRuns: 60 },
    );
  });

  describe('against signatures crafted with small-order points', () => {
    ed.hashes.sha512 ??= sha512;
    const { Point } = ed;
    // A point of order 8: [L]P for a curve point P with a torsion component.
    let torsion = Point.ZERO;
    for (let y = 2n; torsion.is0() || torsion.double().double().is0(); y++) {
      try {
        const p = Point.fromBytes(numberToLE(y));
        torsion = p.multiply(L - 1n, false).add(p);
      } catch {
        // not a point; try the next y
      }
    }
    const smallOrder = Array.from({ length: 8 }, (_, i) => Array.from({ length: i }).reduce<ed.Point>((p) => p.add(torsion), Point.ZERO));
    const { scalar } = ed.utils.getExtendedPublicKey(privateKey);
    const challenge = (r: Uint8Array, a: Uint8Array) => ed.etc.mod(numberFromLE(sha512(concatBytes(r, a, message))), L);

    it('refuses every small-order public key, even with a signature that satisfies the equation', () => {
      // With A the identity, S = 0 and R = identity satisfy [S]B = R + [k]A for every message: a
      // universal forgery OpenSSL alone accepts. Every small-order key is refused up front.
      for (const A of smallOrder) {
        for (const encoding of [A.toBytes(), flipBit(A.toBytes(), 255)]) {
          const forged = concatBytes(Point.ZERO.toBytes(), new Uint8Array(32));
          expect(verdicts(encoding, message, forged)).toEqual([false, false]);
        }
      }
    });

    it('refuses R with a torsion component, which the cofactored equation would accept', () => {
      const r = 123456789n;
      const R = Point.BASE.multiply(r).add(torsion).toBytes();
      const S = ed.etc.mod(r + challenge(R, publicKey) * scalar, L);
      const forged = concatBytes(R, numberToLE(S));
      expect(ed.verify(forged, message, publicKey, { zip215: false })).toBe(true); // noble's own cofactored check
      expect(verdicts(publicKey, message, forged)).toEqual([false, false]);
    });

    it('refuses a public key with a torsion component', () => {
      const A = Point.fromBytes(publicKey).add(torsion).toBytes();
      const r = 987654321n;
      const R = Point.BASE.multiply(r).toBytes();
      const forged = concatBytes(R, numberToLE(ed.etc.mod(r + challenge(R, A) * scalar, L)));
      expect(verdicts(A, message, forged)).toEqual([false, false]);
    });

    it('refuses a non-canonical public key encoding (y >= p)', () => {
      // y = 1 + p encodes the identity non-canonically; OpenSSL alone would reduce it and accept.
      const identityPlusP = numberToLE(2n ** 255n - 19n + 1n);
      const forged = concatBytes(Point.ZERO.toBytes(), new Uint8Array(32));
      expect(verdicts(identityPlusP, message, forged)).toEqual([false, false]);
    });
  });
});

describe.each(providers)('the $name provider checks its arguments', (provider) => {
  const key = new Uint8Array(32).fill(1);

  it('names the parameter of a wrong length', () => {
    expect(() => provider.aeadSeal('aes-256-gcm', key, new Uint8Array(11), new Uint8Array(1))).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError', message: '"nonce" expected 12 bytes, got 11' }),
    );
    expect(() => provider.aeadOpen('xsalsa20-poly1305', key, new Uint8Array(12), new Uint8Array(20))).toThrow('"nonce" expected 24 bytes, got 12');
    expect(() => provider.aeadSeal('aes-256-gcm', key.subarray(1), new Uint8Array(12), new Uint8Array(1))).toThrow('"key" expected 32 bytes, got 31');
    expect(() => provider.aeadSealParts!('aes-256-gcm', key, new Uint8Array(11), new Uint8Array(1))).toThrow('"nonce" expected 12 bytes, got 11');
    expect(() => provider.aeadSealParts!('xsalsa20-poly1305', key, new Uint8Array(24), new Uint8Array(1), new Uint8Array([1]))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => provider.ed25519Sign(key.subarray(2), new Uint8Array(1))).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError', message: '"privateKey" expected 32 bytes, got 30' }),
    );
    expect(() => provider.ed25519PublicKey(new Uint8Array(64))).toThrow('"privateKey" expected 32 bytes, got 64');
  });

  it('refuses values that are not bytes, unknown algorithms and associated data XSalsa20 cannot bind', () => {
    expect(() => provider.sha256('abc' as unknown as Uint8Array)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => provider.createSha256().update('abc' as unknown as Uint8Array)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => provider.aeadSeal('chacha' as AeadAlgorithm, key, new Uint8Array(12), new Uint8Array(1))).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    );
    expect(() => provider.aeadSeal('xsalsa20-poly1305', key, new Uint8Array(24), new Uint8Array(1), new Uint8Array([1]))).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    );
    expect(() => provider.randomBytes(-1)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it.each(['aes-256-gcm', 'xsalsa20-poly1305'] as const)('throws UnauthenticatedError when a sealed %s message was changed', (algorithm) => {
    const nonce = new Uint8Array(algorithm === 'aes-256-gcm' ? 12 : 24).fill(9);
    const aad = algorithm === 'aes-256-gcm' ? utf8('bucket/key') : undefined;
    const sealed = provider.aeadSeal(algorithm, key, nonce, utf8('a segment key, 32 bytes long....'), aad);
    const unauthenticated = expect.objectContaining({ name: 'UnauthenticatedError', code: 'Unauthenticated' });
    fc.assert(
      fc.property(fc.nat(sealed.length * 8 - 1), (bit) => {
        expect(() => provider.aeadOpen(algorithm, key, nonce, flipBit(sealed, bit), aad)).toThrow(unauthenticated);
      }),
      { numRuns: 50 },
    );
    expect(() => provider.aeadOpen(algorithm, key, nonce, sealed.subarray(0, 15), aad)).toThrow(unauthenticated);
    expect(() => provider.aeadOpen(algorithm, flipBit(key, 0), nonce, sealed, aad)).toThrow(unauthenticated);
    if (aad !== undefined) expect(() => provider.aeadOpen(algorithm, key, nonce, sealed, utf8('bucket/other'))).toThrow(unauthenticated);
  });

  it('returns random bytes of any length, beyond one getRandomValues call too', () => {
    expect(provider.randomBytes(0)).toHaveLength(0);
    const big = provider.randomBytes(70_000);
    expect(big).toHaveLength(70_000);
    expect(big.subarray(65_536).some((b) => b !== 0)).toBe(true);
    expect(toHex(provider.randomBytes(32))).not.toBe(toHex(provider.randomBytes(32)));
  });

  it('returns plain Uint8Arrays', () => {
    for (const out of [provider.sha256(key), provider.hmacSha512(key, key), provider.ed25519Sign(key, key), provider.aeadSeal('aes-256-gcm', key, new Uint8Array(12), key)]) {
      expect(out.constructor).toBe(Uint8Array);
    }
  });
});

describe('the node provider caches imported keys without going stale', () => {
  it('signs with the new key when a caller reuses the same array for another key', () => {
    const privateKey = new Uint8Array(32).fill(3);
    const message = utf8('order limit');
    const first = node.ed25519Sign(privateKey, message);
    privateKey.fill(4);
    const second = node.ed25519Sign(privateKey, message);
    expect(toHex(second)).toBe(toHex(noble.ed25519Sign(new Uint8Array(32).fill(4), message)));
    expect(toHex(second)).not.toBe(toHex(first));
  });

  it('keeps verifying correctly after more keys than its cache holds', () => {
    const message = utf8('piece hash');
    const signers = Array.from({ length: 530 }, (_, i) => {
      const privateKey = node.randomBytes(32);
      return { i, publicKey: node.ed25519PublicKey(privateKey), signature: node.ed25519Sign(privateKey, message) };
    });
    for (const pass of [0, 1]) {
      for (const s of signers) {
        expect(node.ed25519Verify(s.publicKey, message, s.signature), `pass ${pass} signer ${s.i}`).toBe(true);
      }
    }
    const other = signers[1]!;
    expect(node.ed25519Verify(signers[0]!.publicKey, message, other.signature)).toBe(false);
  });
});
