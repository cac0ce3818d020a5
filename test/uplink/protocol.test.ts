/**
 * How the uplink uses the object protocol: satellite round trips counted on the wire (N+1 for N
 * segments, 1 for an inline object), concurrent uploads of one key becoming versions, and
 * multipart uploads whose parts arrive out of order and in parallel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestNetwork, TEST_SEGMENT_SIZE, type TestNetwork } from '../../src/testing/network.js';
import { patterned, text } from './support/bytes.js';

let network: TestNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

/** Frames that reached the satellite: one per call once the uplink's connection is open. */
const satelliteFrames = (n: TestNetwork): number => n.net!.traffic(n.satellite.address).frames;

describe('satellite round trips', () => {
  it('an object of N remote segments costs N+1 round trips, an inline object one, a download one per batch of limits', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('count'); // opens (and authenticates) the connection

    let before = satelliteFrames(network);
    await uplink.upload('count', 'small', text('tiny'));
    expect(satelliteFrames(network) - before).toBe(1);

    for (const segments of [1, 3, 5]) {
      before = satelliteFrames(network);
      await uplink.upload('count', `big-${segments}`, patterned(segments * TEST_SEGMENT_SIZE));
      expect(satelliteFrames(network) - before).toBe(segments + 1);
    }

    // A small last segment goes inline and still costs one trip of its own: N+1 in all.
    before = satelliteFrames(network);
    const info = await uplink.upload('count', 'tail', patterned(2 * TEST_SEGMENT_SIZE + 10));
    expect(info.segmentCount).toBe(3);
    expect(satelliteFrames(network) - before).toBe(4);

    before = satelliteFrames(network);
    await uplink.download('count', 'big-1');
    expect(satelliteFrames(network) - before).toBe(1);
    before = satelliteFrames(network);
    await uplink.download('count', 'big-5');
    expect(satelliteFrames(network) - before).toBe(2); // the object and the first limits, then limits for the rest
  });
});

describe('versions', () => {
  it('two uplinks uploading the same key at once both succeed as versions; a read without a version gets the latest', async () => {
    network = await createTestNetwork();
    const [ann, bob] = await Promise.all([network.uplink(), network.uplink()]);
    await ann.createBucket('shared');
    const fromAnn = patterned(2 * TEST_SEGMENT_SIZE + 1, 1);
    const fromBob = patterned(TEST_SEGMENT_SIZE + 2, 2);
    const [a, b] = await Promise.all([ann.upload('shared', 'report', fromAnn), bob.upload('shared', 'report', fromBob)]);
    expect([a.version, b.version].sort()).toEqual([1, 2]);
    const latest = a.version > b.version ? fromAnn : fromBob;
    expect(Buffer.from(await ann.download('shared', 'report')).equals(latest)).toBe(true);
    expect(Buffer.from(await bob.download('shared', 'report', { version: a.version })).equals(fromAnn)).toBe(true);
    expect((await ann.stat('shared', 'report', { version: b.version })).size).toBe(fromBob.length);

    const all: number[] = [];
    for await (const item of ann.listObjects('shared', { allVersions: true })) if (item.kind === 'object') all.push(item.version);
    expect(all.sort()).toEqual([1, 2]);

    await ann.deleteObject('shared', 'report', { version: Math.max(a.version, b.version) });
    expect((await bob.stat('shared', 'report')).version).toBe(Math.min(a.version, b.version));
  });
});

describe('multipart uploads', () => {
  it('parts uploaded out of order and in parallel make one object, ordered by part number', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('video');
    const parts = [patterned(TEST_SEGMENT_SIZE + 3, 1), patterned(2 * TEST_SEGMENT_SIZE, 2), patterned(100, 3), patterned(TEST_SEGMENT_SIZE - 1, 4)];
    const upload = await uplink.beginMultipartUpload('video', 'movie.mp4');
    const stored = await Promise.all([3, 1, 4, 2].map((n) => uplink.uploadPart(upload, n, parts[n - 1]!)));
    expect(stored.map((p) => [p.partNumber, p.size])).toEqual([[3, 100], [1, TEST_SEGMENT_SIZE + 3], [4, TEST_SEGMENT_SIZE - 1], [2, 2 * TEST_SEGMENT_SIZE]]);
    const info = await uplink.commitMultipartUpload(upload, { contentType: 'video/mp4' });
    const whole = Buffer.concat(parts);
    expect(info).toMatchObject({ key: 'movie.mp4', size: whole.length, contentType: 'video/mp4' });
    expect(Buffer.from(await uplink.download('video', 'movie.mp4')).equals(whole)).toBe(true);
    const middle = await uplink.download('video', 'movie.mp4', { offset: TEST_SEGMENT_SIZE, length: TEST_SEGMENT_SIZE + 50 });
    expect(Buffer.from(middle).equals(whole.subarray(TEST_SEGMENT_SIZE, 2 * TEST_SEGMENT_SIZE + 50))).toBe(true);
  });

  it('an aborted upload leaves no object, and another uplink can finish an upload it did not begin', async () => {
    network = await createTestNetwork();
    const [first, second] = await Promise.all([network.uplink(), network.uplink()]);
    await first.createBucket('drafts');
    const dropped = await first.beginMultipartUpload('drafts', 'dropped');
    await first.uploadPart(dropped, 1, patterned(TEST_SEGMENT_SIZE));
    await first.abortMultipartUpload(dropped);
    await expect(first.commitMultipartUpload(dropped)).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    await expect(first.stat('drafts', 'dropped')).rejects.toMatchObject({ name: 'NotFoundError' });

    const handedOver = await first.beginMultipartUpload('drafts', 'kept');
    await first.uploadPart(handedOver, 1, text('one '));
    await second.uploadPart({ ...handedOver }, 2, text('two'));
    await second.commitMultipartUpload(handedOver);
    expect(new TextDecoder().decode(await first.download('drafts', 'kept'))).toBe('one two');
    await expect(first.uploadPart(handedOver, 0, text('x'))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });
});
