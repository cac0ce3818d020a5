/**
 * The `<id>@<host:port>` a satellite prints is what every client takes: `Uplink.connect` and
 * `Uplink.deriveRootKey` pin the id in it, and refuse a server that is someone else.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import { createTestNetwork, TEST_KDF, type TestNetwork } from '../../src/testing/network.js';
import { Uplink } from '../../src/uplink/uplink.js';

const networks: TestNetwork[] = [];
afterEach(async () => {
  for (const net of networks.splice(0)) await net.close();
});

async function network(): Promise<TestNetwork> {
  const net = await createTestNetwork({ nodes: 5 });
  networks.push(net);
  return net;
}

describe('a satellite named as <id>@<host:port>', () => {
  it('connects an uplink that stores and reads back, and derives the same root key as a passphrase connect', async () => {
    const net = await network();
    const ref = `${net.satellite.id}@${net.satellite.address}`;
    const apiKey = await net.apiKey();
    const withPassphrase = await net.uplink({ satelliteAddress: ref, passphrase: 'pass', kdf: TEST_KDF });
    await withPassphrase.createBucket('bkt');
    await withPassphrase.upload('bkt', 'k', new TextEncoder().encode('hello'));
    expect(withPassphrase.satelliteId.equals(net.satellite.id)).toBe(true);
    await withPassphrase.close();

    const rootKey = await Uplink.deriveRootKey({ transport: net.net!.transport(), satelliteAddress: ref, apiKey, passphrase: 'pass', kdf: TEST_KDF });
    const withKey = await net.uplink({ satelliteAddress: ref, rootKey });
    expect(new TextDecoder().decode(await withKey.download('bkt', 'k'))).toBe('hello');
    await withKey.close();
  });

  it('refuses a server whose id is not the one named', async () => {
    const net = await network();
    const impostor = `${Identity.generate().id}@${net.satellite.address}`;
    await expect(net.uplink({ satelliteAddress: impostor })).rejects.toThrow();
    await expect(Uplink.deriveRootKey({ transport: net.net!.transport(), satelliteAddress: impostor, apiKey: await net.apiKey(), passphrase: 'p', kdf: TEST_KDF })).rejects.toThrow();
  });

  it('refuses a reference whose id contradicts satelliteId, and one that is not an id', async () => {
    const net = await network();
    const other = Identity.generate().id;
    await expect(net.uplink({ satelliteAddress: `${net.satellite.id}@${net.satellite.address}`, satelliteId: other })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(net.uplink({ satelliteAddress: `nope@${net.satellite.address}` })).rejects.toThrow();
  });
});
