import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../src/core/bytes.js';
import {
  decryptMetadata,
  decryptPath,
  decryptPrefix,
  encryptMetadata,
  encryptPath,
  encryptPrefix,
  encryptSegment,
  deriveRootKey,
  newContentKey,
  pathContentKey,
  projectSalt,
  unwrapKey,
  wrapKey,
} from '../../../src/uplink/encryption/index.js';

const cheap = { memoryKiB: 64 };
const salt = projectSalt(utf8('project-0001'));

describe('a reader with the wrong passphrase', () => {
  it('gets a clear authentication error for every name, key and metadata, never garbage', async () => {
    const owner = await deriveRootKey('the right passphrase', salt, cheap);
    const stranger = await deriveRootKey('a wrong passphrase', salt, cheap);
    const path = 'reports/2024/q3.pdf';

    const encryptedPath = encryptPath(owner, 'docs', path);
    const encryptedPrefix = encryptPrefix(owner, 'docs', 'reports/');
    const contentKey = newContentKey();
    encryptSegment(contentKey, utf8('quarterly numbers'));
    const wrapped = wrapKey(pathContentKey(owner, 'docs', path), contentKey);
    const metadata = encryptMetadata(pathContentKey(owner, 'docs', path), { contentType: 'application/pdf' });

    const clearError = expect.objectContaining({ name: 'UnauthenticatedError', code: 'Unauthenticated', message: expect.stringMatching(/^cannot decrypt: wrong passphrase or key/) });
    expect(() => decryptPath(stranger, 'docs', encryptedPath)).toThrow(clearError);
    expect(() => decryptPrefix(stranger, 'docs', encryptedPrefix)).toThrow(clearError);
    // The stranger cannot even name the object, so whatever path they guess, the key stays shut.
    expect(() => unwrapKey(pathContentKey(stranger, 'docs', path), wrapped.encryptedKey, wrapped.encryptedKeyNonce)).toThrow(clearError);
    expect(() => decryptMetadata(pathContentKey(stranger, 'docs', path), metadata)).toThrow(clearError);

    expect(decryptPath(owner, 'docs', encryptedPath)).toBe(path);
    expect(unwrapKey(pathContentKey(owner, 'docs', path), wrapped.encryptedKey, wrapped.encryptedKeyNonce)).toEqual(contentKey);
  });
});
