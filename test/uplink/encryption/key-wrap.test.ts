import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../../src/core/bytes.js';
import {
  decryptPath,
  decryptSegment,
  encryptPath,
  encryptSegment,
  newContentKey,
  pathContentKey,
  rekeyObject,
  rewrapKey,
  rewrapKeys,
  unwrapKey,
  wrapKey,
} from '../../../src/uplink/encryption/index.js';

const root = new Uint8Array(32).fill(3);
const oldPathKey = pathContentKey(root, 'photos', 'old/name.jpg');
const newPathKey = pathContentKey(root, 'photos', 'new/name.jpg');

function expectUnauthenticated(run: () => unknown): void {
  expect(run).toThrow(expect.objectContaining({ name: 'UnauthenticatedError', message: expect.stringMatching(/^cannot decrypt: wrong passphrase or key/) }));
}

describe('wrapped keys', () => {
  it('wrap a 32-byte key into 48 bytes under a fresh 24-byte nonce, and unwrap it', () => {
    const contentKey = newContentKey();
    const wrapped = wrapKey(oldPathKey, contentKey);
    expect(wrapped.encryptedKey).toHaveLength(48);
    expect(wrapped.encryptedKeyNonce).toHaveLength(24);
    expect(unwrapKey(oldPathKey, wrapped.encryptedKey, wrapped.encryptedKeyNonce)).toEqual(contentKey);
  });

  it('never repeat a nonce under one key', () => {
    const contentKey = newContentKey();
    const nonces = new Set<string>();
    const ciphertexts = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const wrapped = wrapKey(oldPathKey, contentKey);
      nonces.add(toHex(wrapped.encryptedKeyNonce));
      ciphertexts.add(toHex(wrapped.encryptedKey));
    }
    expect(nonces.size).toBe(2000);
    expect(ciphertexts.size).toBe(2000); // the same key wrapped twice does not look the same
  });

  it('fail authentication under another path key (a wrong passphrase leads here)', () => {
    const wrapped = wrapKey(oldPathKey, newContentKey());
    expectUnauthenticated(() => unwrapKey(newPathKey, wrapped.encryptedKey, wrapped.encryptedKeyNonce));
    const wrongRoot = pathContentKey(new Uint8Array(32).fill(4), 'photos', 'old/name.jpg');
    expectUnauthenticated(() => unwrapKey(wrongRoot, wrapped.encryptedKey, wrapped.encryptedKeyNonce));
  });

  it('detect a flipped bit in the wrapped key or in its nonce, and a wrong length', () => {
    const wrapped = wrapKey(oldPathKey, newContentKey());
    fc.assert(
      fc.property(fc.nat({ max: (48 + 24) * 8 - 1 }), (bit) => {
        const key = wrapped.encryptedKey.slice();
        const nonce = wrapped.encryptedKeyNonce.slice();
        const byte = bit >> 3;
        if (byte < 48) key[byte]! ^= 1 << (bit & 7);
        else nonce[byte - 48]! ^= 1 << (bit & 7);
        expectUnauthenticated(() => unwrapKey(oldPathKey, key, nonce));
      }),
    );
    expectUnauthenticated(() => unwrapKey(oldPathKey, wrapped.encryptedKey.subarray(0, 47), wrapped.encryptedKeyNonce));
    expectUnauthenticated(() => unwrapKey(oldPathKey, wrapped.encryptedKey, wrapped.encryptedKeyNonce.subarray(0, 12)));
  });

  it('re-wrap to a key that only the new path key opens, under a fresh nonce', () => {
    const contentKey = newContentKey();
    const wrapped = wrapKey(oldPathKey, contentKey);
    const moved = rewrapKey(oldPathKey, newPathKey, wrapped.encryptedKey, wrapped.encryptedKeyNonce);
    expect(unwrapKey(newPathKey, moved.encryptedKey, moved.encryptedKeyNonce)).toEqual(contentKey);
    expectUnauthenticated(() => unwrapKey(oldPathKey, moved.encryptedKey, moved.encryptedKeyNonce));
    expect(equalBytes(moved.encryptedKeyNonce, wrapped.encryptedKeyNonce)).toBe(false);
    // A key that was not wrapped under the old path key is refused, not re-wrapped.
    expectUnauthenticated(() => rewrapKey(newPathKey, oldPathKey, wrapped.encryptedKey, wrapped.encryptedKeyNonce));
  });

  it('re-wrap a batch in order, keeping each item\'s other fields', () => {
    const keys = [newContentKey(), newContentKey(), newContentKey()];
    const segments = keys.map((k, index) => ({ position: { part: 0, index }, ...wrapKey(oldPathKey, k) }));
    const moved = rewrapKeys(oldPathKey, newPathKey, segments);
    expect(moved.map((s) => s.position)).toEqual(segments.map((s) => s.position));
    moved.forEach((s, i) => expect(unwrapKey(newPathKey, s.encryptedKey, s.encryptedKeyNonce)).toEqual(keys[i]));
  });
});

describe('re-keying an object for a move', () => {
  it('changes only the encrypted name and the wrapped keys: the content decrypts unchanged at the new path', () => {
    const plaintext = new Uint8Array(1000).map((_, i) => i * 7);
    const contentKey = newContentKey();
    const position = { part: 0, index: 0 };
    const sealed = encryptSegment(contentKey, plaintext, { position });
    const stored = { position, ...wrapKey(oldPathKey, contentKey) };

    const rekey = rekeyObject(root, { bucket: 'photos', path: 'old/name.jpg' }, { bucket: 'archive', path: 'moved.jpg' });
    expect(rekey.oldEncryptedKey).toEqual(encryptPath(root, 'photos', 'old/name.jpg'));
    expect(decryptPath(root, 'archive', rekey.newEncryptedKey)).toBe('moved.jpg');
    const [moved] = rekey.rewrapAll([stored]);
    expect(rekey.rewrap(stored).encryptedKey).toHaveLength(48);
    rekey.dispose();

    const newKey = pathContentKey(root, 'archive', 'moved.jpg');
    const unwrapped = unwrapKey(newKey, moved!.encryptedKey, moved!.encryptedKeyNonce);
    expect(decryptSegment(unwrapped, sealed, plaintext.length, { position: moved!.position })).toEqual(plaintext);
    expect(() => rekey.rewrap(stored)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});
