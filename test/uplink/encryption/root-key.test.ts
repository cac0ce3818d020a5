import { describe, expect, it } from 'vitest';
import { equalBytes, toHex, utf8 } from '../../../src/core/bytes.js';
import { DEFAULT_ROOT_KEY_KDF, deriveRootKey, projectSalt, rootKeyFromBytes } from '../../../src/uplink/encryption/index.js';

const cheap = { memoryKiB: 64 };
const projectA = new Uint8Array(16).fill(0xa0);
const projectB = new Uint8Array(16).fill(0xb0);

describe('the root key', () => {
  it('uses Argon2id with 64 MiB and one pass by default, and the default really runs', async () => {
    expect(DEFAULT_ROOT_KEY_KDF).toEqual({ memoryKiB: 65536, iterations: 1, parallelism: 1 });
    const key = await deriveRootKey('correct horse battery staple', projectSalt(projectA));
    expect(toHex(key)).toBe('29410e98240494807e71318d679fb8a1b1656336c21a24f6ae3e2826caca0483');
  });

  it('is the same for the same passphrase and project, and different for another project', async () => {
    const a1 = await deriveRootKey('passphrase', projectSalt(projectA), cheap);
    const a2 = await deriveRootKey('passphrase', projectSalt(projectA), cheap);
    const b = await deriveRootKey('passphrase', projectSalt(projectB), cheap);
    expect(a1).toEqual(a2);
    expect(equalBytes(a1, b)).toBe(false);
    expect(a1).toHaveLength(32);
  });

  it('depends on the cost parameters, so every party must use the same', async () => {
    const salt = projectSalt(projectA);
    const base = await deriveRootKey('passphrase', salt, cheap);
    expect(equalBytes(base, await deriveRootKey('passphrase', salt, { memoryKiB: 128 }))).toBe(false);
    expect(equalBytes(base, await deriveRootKey('passphrase', salt, { ...cheap, iterations: 2 }))).toBe(false);
  });

  it('normalizes a passphrase typed in decomposed Unicode (as macOS may) to the same key', async () => {
    const composed = 'caf\u00e9 ol\u00e9';
    const decomposed = 'cafe\u0301 ole\u0301';
    const salt = projectSalt(projectA);
    expect(await deriveRootKey(decomposed, salt, cheap)).toEqual(await deriveRootKey(composed, salt, cheap));
    expect(await deriveRootKey(utf8(composed), salt, cheap)).toEqual(await deriveRootKey(composed, salt, cheap));
  });

  it('refuses an empty passphrase, a short salt and impossible costs', async () => {
    const salt = projectSalt(projectA);
    await expect(deriveRootKey('', salt, cheap)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(deriveRootKey(new Uint8Array(0), salt, cheap)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(deriveRootKey('pw', new Uint8Array(8), cheap)).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/salt/) });
    await expect(deriveRootKey('pw', salt, { memoryKiB: 4 })).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/memoryKiB/) });
    await expect(deriveRootKey('pw', salt, { iterations: 0 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(deriveRootKey('pw', salt, { parallelism: 1.5 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });

  it('can be given raw: 32 bytes, copied', () => {
    const raw = new Uint8Array(32).fill(9);
    const key = rootKeyFromBytes(raw);
    raw.fill(0);
    expect(key).toEqual(new Uint8Array(32).fill(9));
    expect(() => rootKeyFromBytes(new Uint8Array(31))).toThrow(/"rootKey" expected 32 bytes, got 31/);
  });

  it('gets a per-project salt that differs between projects and needs a project id', () => {
    expect(projectSalt(projectA)).toHaveLength(32);
    expect(equalBytes(projectSalt(projectA), projectSalt(projectB))).toBe(false);
    expect(() => projectSalt(new Uint8Array(0))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});
