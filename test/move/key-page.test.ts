import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHandoffError } from '../../src/core/errors.js';
import { MAX_ENTRY_BYTES, packSegmentKeys, unpackSegmentKeys } from '../../src/move/key-page.js';

const key = fc.record({
  position: fc.record({ part: fc.integer({ min: 0, max: 10_000 }), index: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }),
  encryptedKey: fc.uint8Array({ minLength: 1, maxLength: 256 }),
  encryptedKeyNonce: fc.uint8Array({ minLength: 1, maxLength: 32 }),
});

describe('packed pages of segment keys', () => {
  it('unpack(pack(keys)) is the identity, and every entry fits the largest entry size', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 20 }), (keys) => {
        const page = packSegmentKeys(keys);
        expect(page.length).toBeLessThanOrEqual(keys.length * MAX_ENTRY_BYTES);
        expect(unpackSegmentKeys(page).map((k) => ({ ...k, encryptedKey: new Uint8Array(k.encryptedKey), encryptedKeyNonce: new Uint8Array(k.encryptedKeyNonce) }))).toEqual(keys);
      }),
    );
  });

  it('random bytes unpack to keys or a typed InvalidArgument, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          unpackSegmentKeys(bytes);
        } catch (err) {
          expect(isHandoffError(err, 'InvalidArgument')).toBe(true);
        }
      }),
    );
  });

  it('refuses truncated entries, positions out of range, empty keys and too many entries', () => {
    const page = packSegmentKeys([{ position: { part: 1, index: 2 }, encryptedKey: new Uint8Array(48), encryptedKeyNonce: new Uint8Array(24) }]);
    expect(() => unpackSegmentKeys(page.subarray(0, page.length - 1))).toThrow(/truncated/);
    const part = page.slice();
    new DataView(part.buffer).setUint32(0, 10_001);
    expect(() => unpackSegmentKeys(part)).toThrow(/part/);
    const empty = page.slice();
    empty[9] = 0;
    expect(() => unpackSegmentKeys(empty)).toThrow(/key of 0 bytes/);
    expect(() => unpackSegmentKeys(new Uint8Array([...page, ...page]), 'keys', 1)).toThrow(/more than 1/);
    expect(() => packSegmentKeys([{ position: { part: 0, index: 0 }, encryptedKey: new Uint8Array(257), encryptedKeyNonce: new Uint8Array(24) }])).toThrow(/encryptedKey/);
  });
});
