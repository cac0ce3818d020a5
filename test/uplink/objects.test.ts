/**
 * The uplink's main story, end to end through a satellite and storage nodes: buckets, inline and
 * multi-segment objects, streams, ranges, listing with decrypted names, stat and delete — over
 * the memory transport and over TCP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestNetwork, TEST_SEGMENT_SIZE, type TestNetwork } from '../../src/testing/network.js';
import { asReadableStream, collect, inChunks, patterned, text } from './support/bytes.js';

let network: TestNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

describe.each(['memory', 'tcp'] as const)('an application storing objects over %s', (transport) => {
  it('stores a small object inline and a multi-segment one on nodes, lists, reads and deletes them', async () => {
    network = await createTestNetwork({ transport });
    const uplink = await network.uplink();
    await uplink.createBucket('photos');
    expect((await uplink.listBuckets()).map((b) => b.name)).toEqual(['photos']);

    const note = text('meet at the beach at noon');
    const small = await uplink.upload('photos', 'notes/today.txt', note, { contentType: 'text/plain', metadata: { author: 'ann' } });
    expect(small).toMatchObject({ key: 'notes/today.txt', version: 1, size: note.length, contentType: 'text/plain', metadata: { author: 'ann' }, segmentCount: 1 });

    const photo = patterned(3 * TEST_SEGMENT_SIZE + 12_345, 7);
    const big = await uplink.upload('photos', '2024/summer/beach.jpg', photo);
    expect(big).toMatchObject({ size: photo.length, segmentCount: 4, version: 1 });
    // Pieces really live on the nodes.
    expect(network.nodes.reduce((sum, node) => sum + node.storage.usedBytes(), 0)).toBeGreaterThan(photo.length);

    expect(await uplink.download('photos', 'notes/today.txt')).toEqual(note);
    expect(Buffer.from(await uplink.download('photos', '2024/summer/beach.jpg')).equals(photo)).toBe(true);

    const names: string[] = [];
    for await (const item of uplink.listObjects('photos', { recursive: true })) if (item.kind === 'object') names.push(item.key);
    expect(names.sort()).toEqual(['2024/summer/beach.jpg', 'notes/today.txt']);

    expect(await uplink.deleteObject('photos', '2024/summer/beach.jpg')).toMatchObject({ key: '2024/summer/beach.jpg', version: 1 });
    await expect(uplink.download('photos', '2024/summer/beach.jpg')).rejects.toMatchObject({ name: 'NotFoundError' });
    await network.satellite.settleDeletes();
    await uplink.deleteBucket('photos', { force: true });
    expect(await uplink.listBuckets()).toEqual([]);
  });
});

describe('uploading and downloading', () => {
  it('reads an async iterable and a web ReadableStream without knowing their size', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('streams');
    const data = patterned(2 * TEST_SEGMENT_SIZE + 999, 3);
    const fromIterable = await uplink.upload('streams', 'iterable', inChunks(data, 10_007));
    const fromStream = await uplink.upload('streams', 'readable', asReadableStream(data, 32_768));
    expect([fromIterable.size, fromStream.size]).toEqual([data.length, data.length]);
    expect(Buffer.from(await uplink.download('streams', 'iterable')).equals(data)).toBe(true);
    expect(Buffer.from(await uplink.download('streams', 'readable')).equals(data)).toBe(true);
  });

  it('downloads a byte range anywhere in the object, across segment boundaries too', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('ranges');
    const data = patterned(3 * TEST_SEGMENT_SIZE + 500, 11);
    await uplink.upload('ranges', 'r', data);
    for (const [offset, length] of [[0, 10], [TEST_SEGMENT_SIZE - 5, 10], [100_000, 70_000], [data.length - 3, 3], [data.length, 0], [5, 1]] as const) {
      const part = await uplink.download('ranges', 'r', { offset, length });
      expect(Buffer.from(part).equals(data.subarray(offset, offset + length))).toBe(true);
    }
    // A length past the end reads to the end, like an HTTP range.
    expect((await uplink.download('ranges', 'r', { offset: data.length - 4, length: 100 })).length).toBe(4);
    await expect(uplink.download('ranges', 'r', { offset: data.length + 1 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });

  it('streams a download segment by segment, as an async iterable or a web stream, with progress', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('media');
    const data = patterned(2 * TEST_SEGMENT_SIZE + 77, 5);
    const uploaded: number[] = [];
    await uplink.upload('media', 'clip', data, { onProgress: (p) => uploaded.push(p.bytesDone) });
    expect(uploaded.at(-1)).toBe(data.length);
    expect(uploaded).toEqual([...uploaded].sort((a, b) => a - b));

    const downloaded: number[] = [];
    const download = await uplink.downloadStream('media', 'clip', { onProgress: (p) => downloaded.push(p.bytesDone) });
    expect(download.info).toMatchObject({ key: 'clip', size: data.length });
    expect(Buffer.from(await collect(download)).equals(data)).toBe(true);
    expect(downloaded).toEqual([TEST_SEGMENT_SIZE, 2 * TEST_SEGMENT_SIZE, data.length]);

    const stream = (await uplink.downloadStream('media', 'clip', { offset: 10, length: 100_000 })).readable();
    expect(Buffer.from(await collect(stream as unknown as AsyncIterable<Uint8Array>)).equals(data.subarray(10, 100_010))).toBe(true);
    await expect(uplink.downloadStream('media', 'missing')).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('stores an empty object and an object whose last segment is small enough to be inline', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('edges');
    expect(await uplink.upload('edges', 'empty', new Uint8Array(0))).toMatchObject({ size: 0, segmentCount: 1 });
    expect(await uplink.download('edges', 'empty')).toEqual(new Uint8Array(0));
    const data = patterned(TEST_SEGMENT_SIZE + 100, 9);
    expect(await uplink.upload('edges', 'tail', data)).toMatchObject({ size: data.length, segmentCount: 2 });
    expect(Buffer.from(await uplink.download('edges', 'tail')).equals(data)).toBe(true);
    const exact = patterned(2 * TEST_SEGMENT_SIZE, 4);
    expect(await uplink.upload('edges', 'exact', exact)).toMatchObject({ segmentCount: 2 });
    expect(Buffer.from(await uplink.download('edges', 'exact')).equals(exact)).toBe(true);
  });

  it('stats an object and expires it when asked', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('docs');
    const expires = new Date(Date.now() + 3600_000);
    await uplink.upload('docs', 'report.pdf', patterned(5000), { contentType: 'application/pdf', expires, metadata: { pages: '3' } });
    const info = await uplink.stat('docs', 'report.pdf');
    expect(info).toMatchObject({ key: 'report.pdf', size: 5000, contentType: 'application/pdf', metadata: { pages: '3' }, status: 'committed' });
    expect(info.expires?.getTime()).toBe(expires.getTime());
    await expect(uplink.upload('docs', 'old', text('x'), { expires: new Date(Date.now() - 1000) })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });
});

describe('listing', () => {
  it('lists by prefix with decrypted names, folding sub-folders unless recursive', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('tree');
    for (const key of ['a/1.txt', 'a/2.txt', 'a/sub/3.txt', 'a/sub/deeper/4.txt', 'b.txt']) await uplink.upload('tree', key, text(key));

    const list = async (options: { prefix?: string; recursive?: boolean }) => {
      const out: string[] = [];
      for await (const item of uplink.listObjects('tree', options)) out.push(item.kind === 'prefix' ? `${item.prefix} (folder)` : item.key);
      return out.sort();
    };
    expect(await list({})).toEqual(['a/ (folder)', 'b.txt']);
    expect(await list({ prefix: 'a/' })).toEqual(['a/1.txt', 'a/2.txt', 'a/sub/ (folder)']);
    expect(await list({ prefix: 'a/', recursive: true })).toEqual(['a/1.txt', 'a/2.txt', 'a/sub/3.txt', 'a/sub/deeper/4.txt']);
    expect(await list({ prefix: 'a/sub/' })).toEqual(['a/sub/3.txt', 'a/sub/deeper/ (folder)']);
    expect(await list({ prefix: 'nothing/' })).toEqual([]);
    await expect(list({ prefix: 'a' })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });
});
