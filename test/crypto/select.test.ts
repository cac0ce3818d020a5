import { afterEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/core/bytes.js';
import { getCryptoProvider, Identity, nobleCryptoProvider, nodeCryptoProvider, setCryptoProvider, verifySignature } from '../../src/crypto/index.js';

afterEach(() => setCryptoProvider(undefined));

describe('choosing the crypto provider', () => {
  it('uses node:crypto automatically on Node, once', () => {
    expect(getCryptoProvider().name).toBe('node');
    expect(getCryptoProvider()).toBe(getCryptoProvider());
  });

  it('lets a host force the noble provider, and go back to automatic choice', () => {
    const noble = nobleCryptoProvider();
    setCryptoProvider(noble);
    expect(getCryptoProvider()).toBe(noble);
    setCryptoProvider(undefined);
    expect(getCryptoProvider().name).toBe('node');
  });

  it('accepts the node:crypto module from the caller', async () => {
    const provider = nodeCryptoProvider(await import('node:crypto'));
    expect(provider.name).toBe('node');
    expect(provider.sha256(new Uint8Array(0))).toHaveLength(32);
  });

  it('signs with whichever provider is current, and both accept the result', () => {
    const identity = Identity.generate();
    const message = utf8('graceful exit receipt');
    setCryptoProvider(nobleCryptoProvider());
    const fromNoble = identity.sign(message);
    setCryptoProvider(undefined);
    const fromNode = identity.sign(message);
    expect(fromNode).toEqual(fromNoble);
    expect(verifySignature(identity.id, message, fromNoble)).toBe(true);
    setCryptoProvider(nobleCryptoProvider());
    expect(verifySignature(identity.publicKey, message, fromNode)).toBe(true);
  });
});
