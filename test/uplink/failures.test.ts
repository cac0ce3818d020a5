/**
 * Failure and bad input: nodes that die, stall or lie; too few nodes; cancellation; the wrong
 * passphrase. Each ends with correct bytes or a clear typed error, and never with a
 * half-committed object or garbage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/core/bytes.js';
import { ManualClock } from '../../src/core/clock.js';
import { pieceSizeFor } from '../../src/metainfo/redundancy.js';
import type { StorageNode } from '../../src/node/index.js';
import { createTestNetwork, TEST_SEGMENT_SIZE, type TestNetwork } from '../../src/testing/network.js';
import type { Uplink } from '../../src/uplink/index.js';
import { patterned, text } from './support/bytes.js';
import { FaultyPieceStore } from './support/faulty-store.js';

let network: TestNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

/** A network whose nodes' piece stores can be made to misbehave. */
async function faultyNetwork(nodes = 5) {
  const stores: FaultyPieceStore[] = [];
  network = await createTestNetwork({ nodes, wrapStorage: (inner) => stores[stores.push(new FaultyPieceStore(inner)) - 1]! });
  return { network, stores };
}

/** Which node holds each piece number of the object's first segment. */
async function holders(n: TestNetwork, uplink: Uplink, bucket: string, key: string): Promise<Map<number, number>> {
  const { streamId } = await uplink.stat(bucket, key);
  const [segment] = await n.satellite.store.metabase.listSegments(streamId, { limit: 1 });
  const indexOf = (id: Uint8Array) => n.nodes.findIndex((node: StorageNode) => equalBytes(node.id.bytes, id));
  return new Map(segment!.pieces.map((p) => [p.number, indexOf(p.nodeId)]));
}

async function pendingUploads(uplink: Uplink, bucket: string): Promise<number> {
  let count = 0;
  for await (const item of uplink.listObjects(bucket, { recursive: true, pending: true })) if (item.kind === 'object' && item.status === 'pending') count++;
  return count;
}

describe('nodes that fail during an upload', () => {
  it('a node killed mid-upload: the upload still succeeds with `success` pieces per segment', async () => {
    network = await createTestNetwork({ nodes: 5 });
    const uplink = await network.uplink();
    await uplink.createBucket('bkt');
    const data = patterned(4 * TEST_SEGMENT_SIZE, 1);
    const victim = network.nodes[2]!;
    let killed = false;
    const info = await uplink.upload('bkt', 'k', data, {
      onProgress: ({ bytesDone }) => {
        if (!killed && bytesDone > TEST_SEGMENT_SIZE + 1000) {
          killed = true;
          network!.net!.faults.kill(victim.address);
        }
      },
    });
    expect(killed).toBe(true);
    expect(info.segmentCount).toBe(4);
    expect(Buffer.from(await uplink.download('bkt', 'k')).equals(data)).toBe(true);
  });

  it('a node that stops reading is left behind and cancelled once `success` pieces are stored (long tail)', async () => {
    const { network: n, stores } = await faultyNetwork(5);
    const uplink = await n.uplink();
    await uplink.createBucket('bkt');
    stores[0]!.stall();
    const data = patterned(2 * TEST_SEGMENT_SIZE + 5, 2);
    const info = await uplink.upload('bkt', 'slow', data);
    stores[0]!.resume();
    expect(info.size).toBe(data.length);
    expect(Buffer.from(await uplink.download('bkt', 'slow')).equals(data)).toBe(true);
  });

  it('fewer nodes than `success` reachable: a clear error naming the counts, and nothing committed or left pending', async () => {
    network = await createTestNetwork({ nodes: 5 });
    const uplink = await network.uplink();
    await uplink.createBucket('bkt');
    network.net!.faults.kill(network.nodes[0]!.address);
    network.net!.faults.kill(network.nodes[1]!.address);
    const failure = uplink.upload('bkt', 'k', patterned(2 * TEST_SEGMENT_SIZE));
    await expect(failure).rejects.toMatchObject({ name: 'UnavailableError', message: expect.stringMatching(/only 3 of 5 nodes .*4 are needed/) });
    await expect(uplink.stat('bkt', 'k')).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(await pendingUploads(uplink, 'bkt')).toBe(0);
    // Small objects do not need nodes at all.
    expect((await uplink.upload('bkt', 'small', text('still fine'))).size).toBe(10);
  });
});

describe('nodes that fail or lie during a download', () => {
  it('a corrupted piece is detected, other nodes are used, and the bytes are correct', async () => {
    const { network: n, stores } = await faultyNetwork(5);
    const writer = await n.uplink();
    await writer.createBucket('bkt');
    const data = patterned(TEST_SEGMENT_SIZE - 100, 3);
    await writer.upload('bkt', 'k', data);
    const liar = (await holders(n, writer, 'bkt', 'k')).get(0)!;
    stores[liar]!.corrupt = true;
    // No spare downloads: the corrupt piece 0 is certainly among the two used first.
    const reader = await n.uplink({ extraDownloadPieces: 0 });
    expect(Buffer.from(await reader.download('bkt', 'k')).equals(data)).toBe(true);
    expect(stores[liar]!.corruptReads).toBeGreaterThan(0);
    expect(Buffer.from(await reader.download('bkt', 'k', { offset: 1000, length: 20_000 })).equals(data.subarray(1000, 21_000))).toBe(true);
  });

  it('with only one spare piece left, the corrupt one is found by leaving pieces out in turn', async () => {
    const { network: n, stores } = await faultyNetwork(5);
    const uplink = await n.uplink({ extraDownloadPieces: 0 });
    await uplink.createBucket('bkt');
    const data = patterned(30_000, 4);
    await uplink.upload('bkt', 'k', data);
    const byPiece = await holders(n, uplink, 'bkt', 'k');
    stores[byPiece.get(1)!]!.corrupt = true;
    for (const number of [3, 4]) if (byPiece.has(number)) n.net!.faults.kill(n.nodes[byPiece.get(number)!]!.address);
    expect(Buffer.from(await uplink.download('bkt', 'k')).equals(data)).toBe(true);
  });

  it('a node that stops serving mid-download is hedged when the uplink clock passes the hedge delay: one more node is asked, and the download ends while the slow one still hangs', async () => {
    const { network: n, stores } = await faultyNetwork(5);
    const writer = await n.uplink();
    await writer.createBucket('bkt');
    const data = patterned(TEST_SEGMENT_SIZE - 100, 6);
    await writer.upload('bkt', 'k', data);
    const byPiece = await holders(n, writer, 'bkt', 'k');
    // Pieces are fetched in order of number: the first two are asked at once, the third is the hedge.
    const [first, second, hedge, ...rest] = [...byPiece.keys()].sort((a, b) => a - b).map((piece) => stores[byPiece.get(piece)!]!);
    first!.stall();
    const clock = new ManualClock(Date.now());
    const reader = await n.uplink({ clock });
    let done = false;
    const download = reader.download('bkt', 'k').finally(() => (done = true));

    // The second piece arrived and the first did not: decoding waits, and arms a hedge on the clock.
    await clock.whenPending();
    expect(done).toBe(false);
    expect(second!.reads).toBe(1);
    expect(hedge!.reads).toBe(0);
    // The hedge delay is at most a second; until the clock gets there no other node is asked.
    clock.advance(1_000);
    expect(Buffer.from(await download).equals(data)).toBe(true);
    expect(hedge!.reads).toBe(1);
    expect(rest.map((store) => store.reads)).toEqual(rest.map(() => 0));
    expect(first!.bytesRead).toBe(0);
    first!.resume();
  });

  it('nodes that keep pace serve exactly `required` pieces: no bytes are fetched twice', async () => {
    const { network: n, stores } = await faultyNetwork(5);
    const uplink = await n.uplink();
    await uplink.createBucket('bkt');
    const data = patterned(3 * TEST_SEGMENT_SIZE, 7);
    await uplink.upload('bkt', 'k', data);
    const before = stores.reduce((sum, store) => sum + store.bytesRead, 0);
    expect(Buffer.from(await uplink.download('bkt', 'k')).equals(data)).toBe(true);
    const segments = await n.satellite.store.metabase.listSegments((await uplink.stat('bkt', 'k')).streamId, { limit: 10 });
    expect(segments).toHaveLength(3);
    const pieceBytes = segments.reduce((sum, s) => sum + s.redundancy!.required * pieceSizeFor(s.encryptedSize, s.redundancy!), 0);
    expect(stores.reduce((sum, store) => sum + store.bytesRead, 0) - before).toBe(pieceBytes);
  });

  it('a dead node is replaced by another; fewer than `required` reachable is a clear error, never partial data', async () => {
    network = await createTestNetwork({ nodes: 5 });
    const uplink = await network.uplink();
    await uplink.createBucket('bkt');
    const data = patterned(2 * TEST_SEGMENT_SIZE, 5);
    await uplink.upload('bkt', 'k', data);
    network.net!.faults.kill(network.nodes[0]!.address);
    expect(Buffer.from(await uplink.download('bkt', 'k')).equals(data)).toBe(true);
    for (const node of network.nodes.slice(1, 4)) network.net!.faults.kill(node.address);
    await expect(uplink.download('bkt', 'k')).rejects.toMatchObject({ name: 'UnavailableError', message: expect.stringMatching(/only [01] of the 2 pieces needed/) });
  });
});

describe('cancellation', () => {
  it('cancelling mid-upload rejects with CanceledError and leaves no object and no pending stream', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('bkt');
    const controller = new AbortController();
    const upload = uplink.upload('bkt', 'k', patterned(4 * TEST_SEGMENT_SIZE), {
      signal: controller.signal,
      onProgress: ({ bytesDone }) => bytesDone > 2 * TEST_SEGMENT_SIZE && controller.abort(),
    });
    await expect(upload).rejects.toMatchObject({ name: 'CanceledError' });
    await expect(uplink.stat('bkt', 'k')).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(await pendingUploads(uplink, 'bkt')).toBe(0);
  });

  it('cancelling a download stops it with CanceledError', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('bkt');
    await uplink.upload('bkt', 'k', patterned(3 * TEST_SEGMENT_SIZE));
    const controller = new AbortController();
    const download = uplink.download('bkt', 'k', { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(download).rejects.toMatchObject({ name: 'CanceledError' });
    await expect(uplink.download('bkt', 'k', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'CanceledError' });
  });
});

describe('the wrong passphrase', () => {
  it('lists nothing it cannot decrypt (only counts it), and finds nothing by name — never garbage', async () => {
    network = await createTestNetwork();
    const owner = await network.uplink({ passphrase: 'right horse battery staple' });
    await owner.createBucket('secret');
    await owner.upload('secret', 'plans/2025.txt', text('the plan'));
    const intruder = await network.uplink({ passphrase: 'wrong horse battery staple' });
    const listing = intruder.listObjects('secret', { recursive: true });
    for await (const item of listing) expect.unreachable(`listed ${JSON.stringify(item)}`);
    expect(listing.undecryptable).toBe(1);
    await expect(intruder.download('secret', 'plans/2025.txt')).rejects.toMatchObject({ name: 'NotFoundError', message: expect.stringContaining('passphrase') });
    // The same passphrase in another project is another key: the satellite gives each project its own salt.
    const otherProject = await network.satellite.createProject('other');
    const elsewhere = await network.uplink({ passphrase: 'right horse battery staple', apiKey: otherProject.apiKey });
    await elsewhere.createBucket('secret');
    await elsewhere.upload('secret', 'plans/2025.txt', text('another plan'));
    const mine = await owner.stat('secret', 'plans/2025.txt');
    const theirs = await elsewhere.stat('secret', 'plans/2025.txt');
    expect(mine.streamId).not.toEqual(theirs.streamId);
    expect(new TextDecoder().decode(await owner.download('secret', 'plans/2025.txt'))).toBe('the plan');
  });
});
