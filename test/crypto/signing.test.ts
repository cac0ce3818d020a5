import { createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CanonicalValue, canonicalEncode } from '../../src/codec/index.js';
import { nobleCryptoProvider } from '../../src/crypto/noble.js';
import { nodeCryptoProvider } from '../../src/crypto/node.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { assertDomainTag, isDomainTag, signStructure, signingBytes, verifyStructure } from '../../src/crypto/signing.js';

/** An Ed25519 signer straight from node:crypto, independent of the SDK's own Identity. */
function newSigner() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x!;
  return {
    publicKey: new Uint8Array(Buffer.from(x, 'base64url')),
    sign: (message: Uint8Array) => new Uint8Array(nodeSign(null, message, privateKey)),
  };
}

/** Only what verifyStructure needs, so the test checks signing.ts and not a provider. */
const nodeVerifier = {
  name: 'node',
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
    return nodeVerify(null, message, key, signature);
  },
} as CryptoProvider;

const TAG = 'handoff/piece-hash/v1';
const signer = newSigner();
const fields: CanonicalValue[] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), 1024n, 1_700_000_000];

const tags = fc.stringMatching(/^[a-z]{1,8}(\/[a-z0-9-]{1,8}){0,2}\/v[1-9]$/).filter((tag) => isDomainTag(tag));
const field: fc.Arbitrary<CanonicalValue> = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
);

describe('signed structures', () => {
  it('sign the canonical encoding of the tag followed by the fields', () => {
    expect(signingBytes(TAG, fields)).toEqual(canonicalEncode([TAG, ...fields]));
    const signature = signStructure(signer, TAG, fields);
    expect(signature.length).toBe(64);
    expect(verifyStructure(signer.publicKey, TAG, fields, signature, nodeVerifier)).toBe(true);
  });

  it('verify with the default crypto provider and with both shipped providers alike', () => {
    const signature = signStructure(signer, TAG, fields);
    expect(verifyStructure(signer.publicKey, TAG, fields, signature)).toBe(true);
    expect(verifyStructure(signer.publicKey, 'handoff/order-limit/v1', fields, signature)).toBe(false);
    for (const provider of [nodeCryptoProvider(), nobleCryptoProvider()]) {
      expect(verifyStructure(signer.publicKey, TAG, fields, signature, provider)).toBe(true);
      expect(verifyStructure(signer.publicKey, TAG, [...fields, null], signature, provider)).toBe(false);
    }
  });

  it('never verify a signature under a different domain tag', () => {
    fc.assert(
      fc.property(tags, tags, fc.array(field, { maxLength: 4 }), (tag, otherTag, values) => {
        fc.pre(tag !== otherTag);
        const signature = signStructure(signer, tag, values);
        expect(verifyStructure(signer.publicKey, otherTag, values, signature, nodeVerifier)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('break when any field changes', () => {
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 4 }), fc.nat(), field, (values, at, replacement) => {
        const index = at % values.length;
        const changed = values.with(index, replacement);
        fc.pre(!equalEncodings(values, changed));
        const signature = signStructure(signer, TAG, values);
        expect(verifyStructure(signer.publicKey, TAG, changed, signature, nodeVerifier)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('break when fields are reordered, regrouped or change type', () => {
    const signature = signStructure(signer, TAG, [5, 'x', new Uint8Array([1])]);
    const altered: CanonicalValue[][] = [
      ['x', 5, new Uint8Array([1])], // order
      ['5', 'x', new Uint8Array([1])], // 5 vs "5"
      [new Uint8Array([5]), 'x', new Uint8Array([1])], // 5 vs bytes [5]
      [[5], 'x', new Uint8Array([1])], // 5 vs [5]
      [5, 'x', [1]], // bytes [1] vs array [1]
      [5, 'x', '\u0001'], // bytes [1] vs the string with that byte
      [[5, 'x'], new Uint8Array([1])], // regrouped
      [5, 'x', new Uint8Array([1]), null], // one more field
      [5, 'x'], // one fewer
    ];
    for (const values of altered) {
      expect(verifyStructure(signer.publicKey, TAG, values, signature, nodeVerifier)).toBe(false);
    }
    const split = signStructure(signer, TAG, ['ab', 'c']);
    expect(verifyStructure(signer.publicKey, TAG, ['a', 'bc'], split, nodeVerifier)).toBe(false);
  });

  it('treat an integer the same whether it is a number or a bigint', () => {
    const signature = signStructure(signer, TAG, [5, 1024]);
    expect(verifyStructure(signer.publicKey, TAG, [5n, 1024n], signature, nodeVerifier)).toBe(true);
  });

  it('reject a signature made by another key, or a malformed key or signature, without throwing', () => {
    const signature = signStructure(signer, TAG, fields);
    expect(verifyStructure(newSigner().publicKey, TAG, fields, signature, nodeVerifier)).toBe(false);
    expect(verifyStructure(signer.publicKey.subarray(1), TAG, fields, signature, nodeVerifier)).toBe(false);
    expect(verifyStructure(signer.publicKey, TAG, fields, signature.subarray(0, 63), nodeVerifier)).toBe(false);
    const flipped = signature.slice();
    flipped[10]! ^= 1;
    expect(verifyStructure(signer.publicKey, TAG, fields, flipped, nodeVerifier)).toBe(false);
  });

  it('accept only well-formed, versioned domain tags', () => {
    for (const tag of ['handoff/order-limit/v1', 'handoff/exit.receipt/v12', 'acme/thing_one/v2', 'handoff/handshake/v1']) {
      expect(isDomainTag(tag)).toBe(true);
    }
    const bad = ['', 'v1', 'handoff/order-limit', 'Handoff/order-limit/v1', 'handoff/order-limit/v0', 'handoff//x/v1',
      ' handoff/x/v1', 'handoff/x/v1 ', 'handoff/x-/v1', 'handoff/café/v1', `handoff/${'x'.repeat(120)}/v1`];
    for (const tag of bad) {
      expect(isDomainTag(tag)).toBe(false);
      expect(() => signStructure(signer, tag, fields)).toThrowError(expect.objectContaining({ name: 'InvalidArgumentError' }));
    }
    expect(() => assertDomainTag(42)).toThrowError(/invalid domain tag number/);
  });

  it('refuse fields without a canonical form, as a caller bug rather than a failed check', () => {
    const signature = signStructure(signer, TAG, fields);
    expect(() => verifyStructure(signer.publicKey, TAG, [1.5], signature, nodeVerifier)).toThrowError(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    );
  });
});

function equalEncodings(a: CanonicalValue[], b: CanonicalValue[]): boolean {
  const x = canonicalEncode(a);
  const y = canonicalEncode(b);
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}
