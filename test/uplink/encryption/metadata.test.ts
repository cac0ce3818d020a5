import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../../src/core/bytes.js';
import { decryptMetadata, encryptMetadata, MAX_METADATA_SIZE, pathContentKey, rewrapMetadataKey, type EncryptedMetadata } from '../../../src/uplink/encryption/index.js';

const root = new Uint8Array(32).fill(5);
const pathKey = pathContentKey(root, 'docs', 'report.pdf');
const otherPathKey = pathContentKey(root, 'docs', 'renamed.pdf');

function expectUnauthenticated(run: () => unknown): void {
  expect(run).toThrow(expect.objectContaining({ name: 'UnauthenticatedError', message: expect.stringMatching(/^cannot decrypt: wrong passphrase or key/) }));
}

const metadataArbitrary = fc.record(
  {
    contentType: fc.string(),
    plainSize: fc.nat(),
    custom: fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), { maxKeys: 5 }),
  },
  { requiredKeys: [] },
);

describe('object metadata', () => {
  it('round-trips content type, plain size and the application\'s own fields', () => {
    fc.assert(
      fc.property(metadataArbitrary, (metadata) => {
        expect(decryptMetadata(pathKey, encryptMetadata(pathKey, metadata))).toEqual(metadata);
      }),
    );
    const custom: Record<string, string> = Object.fromEntries([['__proto__', 'not a prototype'], ['constructor', 'x']]);
    const back = decryptMetadata(pathKey, encryptMetadata(pathKey, { custom })).custom!;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.entries(back)).toEqual([['__proto__', 'not a prototype'], ['constructor', 'x']]);
  });

  it('uses the field names of the metainfo schema and a fresh key and nonces each time', () => {
    const a = encryptMetadata(pathKey, { contentType: 'application/pdf' });
    const b = encryptMetadata(pathKey, { contentType: 'application/pdf' });
    expect(Object.keys(a).sort()).toEqual(['encryptedMetadata', 'encryptedMetadataKey', 'encryptedMetadataKeyNonce', 'encryptedMetadataNonce']);
    expect(a.encryptedMetadataKey).toHaveLength(48);
    expect(equalBytes(a.encryptedMetadata, b.encryptedMetadata)).toBe(false);
    expect(equalBytes(a.encryptedMetadataNonce, b.encryptedMetadataNonce)).toBe(false);
  });

  it('fails authentication under another path key', () => {
    expectUnauthenticated(() => decryptMetadata(otherPathKey, encryptMetadata(pathKey, { contentType: 'text/plain' })));
  });

  it('detects a flipped bit in any of its four fields', () => {
    const encrypted = encryptMetadata(pathKey, { contentType: 'text/plain', custom: { owner: 'ada' } });
    const fields = Object.keys(encrypted) as (keyof EncryptedMetadata)[];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat(), (field, n) => {
        const bytes = encrypted[field].slice();
        const bit = n % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        expectUnauthenticated(() => decryptMetadata(pathKey, { ...encrypted, [field]: bytes }));
      }),
    );
  });

  it('moves with a re-wrapped key while the metadata ciphertext stays the same', () => {
    const encrypted = encryptMetadata(pathKey, { contentType: 'text/plain', plainSize: 12 });
    const moved = rewrapMetadataKey(pathKey, otherPathKey, encrypted);
    expect(moved.encryptedMetadata).toBe(encrypted.encryptedMetadata);
    expect(moved.encryptedMetadataNonce).toBe(encrypted.encryptedMetadataNonce);
    expect(decryptMetadata(otherPathKey, moved)).toEqual({ contentType: 'text/plain', plainSize: 12 });
    expectUnauthenticated(() => decryptMetadata(pathKey, moved));
  });

  it('refuses metadata that is too large or not strings', () => {
    expect(() => encryptMetadata(pathKey, { custom: { big: 'x'.repeat(MAX_METADATA_SIZE) } })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => encryptMetadata(pathKey, { custom: { n: 1 as unknown as string } })).toThrow(/"metadata.custom.n" expected a string/);
    expect(() => encryptMetadata(pathKey, { plainSize: -1 })).toThrow(/plainSize/);
  });
});
