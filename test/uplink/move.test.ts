/**
 * The uplink's move, copy and prefix move over a whole network: a moved object downloads
 * byte-identical under its new name, the old name is gone, and the storage nodes saw no traffic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/core/bytes.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { createTestNetwork, type TestNetwork } from '../../src/testing/index.js';

let network: TestNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

const nodeTraffic = (n: TestNetwork) => n.nodes.reduce((sum, node) => sum + n.net!.traffic(node.address).frames, 0);

describe('moving objects with the uplink', () => {
  it('renames a multi-segment object without touching a piece: same bytes under the new key, none under the old', async () => {
    network = await createTestNetwork({ nodes: 5 });
    const uplink = await network.uplink();
    await uplink.createBucket('photos');
    const data = getCryptoProvider().randomBytes(300_000);
    const before = await uplink.upload('photos', 'inbox/beach.jpg', data, { contentType: 'image/jpeg' });
    const framesBefore = nodeTraffic(network);

    const moved = await uplink.moveObject('photos', 'inbox/beach.jpg', '2024/summer/beach.jpg');

    expect(nodeTraffic(network)).toBe(framesBefore);
    expect(moved).toMatchObject({ key: '2024/summer/beach.jpg', size: 300_000, contentType: 'image/jpeg' });
    expect(moved.createdAt).toEqual(before.createdAt);
    expect(equalBytes(await uplink.download('photos', '2024/summer/beach.jpg'), data)).toBe(true);
    await expect(uplink.stat('photos', 'inbox/beach.jpg')).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('copies an object whose pieces stay shared: deleting the original keeps the copy readable', async () => {
    network = await createTestNetwork({ nodes: 5 });
    const uplink = await network.uplink();
    await uplink.createBucket('docs');
    const data = getCryptoProvider().randomBytes(150_000);
    await uplink.upload('docs', 'report.pdf', data);
    await uplink.copyObject('docs', 'report.pdf', 'backup/report.pdf');
    await uplink.deleteObject('docs', 'report.pdf');
    await network.satellite.settleDeletes();
    expect(equalBytes(await uplink.download('docs', 'backup/report.pdf'), data)).toBe(true);
  });

  it('moves a prefix object by object, and a second run skips what the first already moved', async () => {
    network = await createTestNetwork({ nodes: 5 });
    const uplink = await network.uplink();
    await uplink.createBucket('photos');
    for (const name of ['a.jpg', 'b.jpg', 'deep/c.jpg']) await uplink.upload('photos', `2023/${name}`, new TextEncoder().encode(name));
    const report = await uplink.moveObjects('photos', '2023/', 'archive/2023/', { concurrency: 2 });
    expect(report).toMatchObject({ moved: 3, failed: 0 });
    const names: string[] = [];
    for await (const item of uplink.listObjects('photos', { prefix: 'archive/2023/', recursive: true })) if (item.kind === 'object') names.push(item.key);
    expect(names.sort()).toEqual(['archive/2023/a.jpg', 'archive/2023/b.jpg', 'archive/2023/deep/c.jpg']);
    expect(new TextDecoder().decode(await uplink.download('photos', 'archive/2023/deep/c.jpg'))).toBe('deep/c.jpg');
  });
});
