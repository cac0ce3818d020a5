/**
 * Graceful exit while the data changes underneath it: a segment deleted, re-uploaded or repaired
 * while its piece is on the way, an object moved while the satellite gathers, objects whose
 * server-side copies share their pieces. The exit completes without penalty, a replacement piece
 * no segment took is deleted by the satellite, and the three invariants (checks.ts) hold.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../src/core/bytes.js';
import type { SegmentRecord } from '../../src/metainfo/metabase/types.js';
import { signOrderLimit } from '../../src/orders/order-limit.js';
import { derivePieceId } from '../../src/orders/piece-id.js';
import { generatePieceKey, pieceSigner } from '../../src/orders/piece-key.js';
import { uploadPiece } from '../../src/piecestore/client.js';
import { RpcClient } from '../../src/rpc/client.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import type { Uplink } from '../../src/uplink/uplink.js';
import { patterned } from '../uplink/support/bytes.js';
import { StorageTaps, allSegments, eventually, expectInvariants, pieceDigests, piecesOn, type Hold, type StoryObject } from './checks.js';
import { ExitNetwork, type ExitNodeHandle } from './harness.js';

const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;

const OBJECTS: StoryObject[] = [
  { key: 'small', data: patterned(3_000, 31) },
  { key: 'several', data: patterned(3 * TEST_SEGMENT_SIZE + 777, 32) },
  { key: 'nested/deep/file', data: patterned(2 * TEST_SEGMENT_SIZE, 33) },
];
const VICTIM: StoryObject = { key: 'victim', data: patterned(TEST_SEGMENT_SIZE - 100, 34) };

let network: ExitNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

async function stored(handle: ExitNodeHandle, satelliteId: Uint8Array, pieceId: Uint8Array): Promise<Uint8Array> {
  const header = await handle.pieces.header(satelliteId, pieceId);
  const data = new Uint8Array(header.size);
  let at = 0;
  for await (const chunk of handle.pieces.read(satelliteId, pieceId, { offset: 0, length: header.size })) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return data;
}

/**
 * OBJECTS and a one-segment VICTIM uploaded; the exiting node is one holding a piece of the
 * victim's segment, so a transfer of that piece can be caught in flight.
 */
async function victimStory(transport: 'memory' | 'tcp') {
  const taps = new StorageTaps();
  network = await ExitNetwork.start({ transport, nodes: 8, redundancy: NO_SPARE, wrapStorage: taps.wrap });
  const uplink = await network.uplink();
  await uplink.createBucket('bucket');
  for (const { key, data } of OBJECTS) await uplink.upload('bucket', key, data);
  const info = await uplink.upload('bucket', VICTIM.key, VICTIM.data);
  const segment = (await allSegments(network)).find((s) => equalBytes(s.streamId, info.streamId))!;
  const piece = segment.pieces[0]!;
  const leaving = network.nodes.find((h) => equalBytes(h.identity.publicKey, piece.nodeId))!;
  const pieceId = derivePieceId(segment.rootPieceId, piece.nodeId, piece.number);
  const satelliteId = network.satellite.id.bytes;
  // The node counts the transfer it made; the satellite, finding the segment gone, counts the piece dropped.
  const unused = { pieces: 1, bytes: (await leaving.pieces.header(satelliteId, pieceId)).size };
  return { network, taps, uplink, segment, piece, leaving, pieceId, satelliteId, unused, before: await pieceDigests(network) };
}

type VictimStory = Awaited<ReturnType<typeof victimStory>>;

/** Holds the replacement's commit of the victim's piece: the bytes have left the exiting node, the receipt is not signed yet. */
function holdReplacementCommit(s: VictimStory): Hold {
  return s.taps.holdCommits((index, pieceId) => index !== s.leaving.index && equalBytes(pieceId, derivePieceId(s.segment.rootPieceId, s.network.nodes[index]!.identity.publicKey, s.piece.number)));
}

/** The replacement node the satellite chose for the victim's piece (recorded before it was told). */
async function replacementOf(s: VictimStory): Promise<ExitNodeHandle> {
  const item = (await s.network.store.exits.getItem(s.leaving.identity.publicKey, s.pieceId))!;
  const chosen = item.triedNodes.at(-1)!;
  return s.network.nodes.find((h) => equalBytes(h.identity.publicKey, chosen))!;
}

/** After the exit: the victim's piece was dropped without penalty, and the replacement's copy was deleted. */
async function expectDroppedAndCleaned(s: VictimStory, replacement: ExitNodeHandle | undefined): Promise<void> {
  const status = (await s.leaving.node!.exitFinished(s.satelliteId))!;
  expect(status.state).toBe('completed');
  const record = (await s.network.store.exits.getExit(s.leaving.identity.publicKey))!;
  expect(record.outcome).toBe('completed');
  expect(record.piecesFailed).toBe(0);
  expect(record.piecesDropped).toBeGreaterThanOrEqual(1);
  expect(await piecesOn(s.network, s.leaving.identity.publicKey)).toEqual([]);
  if (replacement === undefined) return;
  const unused = derivePieceId(s.segment.rootPieceId, replacement.identity.publicKey, s.piece.number);
  expect(s.taps.committed.has(`${replacement.index}:${toHex(unused)}`)).toBe(true); // it did receive the piece…
  await s.network.satellite.settleDeletes();
  expect(await replacement.pieces.has(s.satelliteId, unused)).toBe(false); // …and the satellite had it deleted
}

/**
 * A repair as a repairer would do it: the piece rebuilt on `target` (here copied from a holder:
 * the same bytes erasure decoding would give) under a PUT_REPAIR limit, then a compare-and-swap
 * of the segment's piece list naming `target` instead of the exiting node.
 */
async function repair(s: VictimStory, bytes: Uint8Array, target: ExitNodeHandle): Promise<void> {
  const satellite = s.network.satelliteIdentity;
  const key = generatePieceKey();
  const now = Date.now();
  const limit = signOrderLimit(satellite, {
    serialNumber: Uint8Array.from(randomBytes(16)),
    satelliteId: satellite.publicKey,
    storageNodeId: target.identity.publicKey,
    pieceId: derivePieceId(s.segment.rootPieceId, target.identity.publicKey, s.piece.number),
    action: 'PUT_REPAIR',
    limitBytes: bytes.length,
    orderExpiration: now + 3_600_000,
    piecePublicKey: key.publicKey,
    createdAt: now,
  });
  const client = new RpcClient({ transport: s.network.transport('repairer'), address: target.node!.address, identity: satellite, expectedPeer: target.identity.id });
  try {
    await uploadPiece(client, { limit, pieceKey: pieceSigner(key.privateKey), data: bytes });
  } finally {
    await client.close();
  }
  const [current] = (await s.network.store.metabase.segmentsByRootPieceId(s.segment.rootPieceId)) as [SegmentRecord];
  const next = current.pieces.map((p) => (equalBytes(p.nodeId, s.leaving.identity.publicKey) ? { number: p.number, nodeId: target.identity.publicKey } : p));
  expect(await s.network.store.metabase.swapSegmentPieces(current.streamId, current.position, current.pieces, next)).toBe(true);
}

async function exitAll(s: { network: ExitNetwork; uplink: Uplink }, leaving: ExitNodeHandle, satelliteId: Uint8Array) {
  const status = (await leaving.node!.exitFinished(satelliteId))!;
  expect(status.state).toBe('completed');
  return (await s.network.store.exits.getExit(leaving.identity.publicKey))!;
}

for (const transport of ['memory', 'tcp'] as const) {
  describe(`graceful exit while segments change, over ${transport}`, () => {
    it('the segment is deleted before the node read its piece: the piece is dropped, not counted as lost', async () => {
      const s = await victimStory(transport);
      const hold = s.taps.holdReads((index, pieceId) => index === s.leaving.index && equalBytes(pieceId, s.pieceId));
      await s.leaving.node!.exitSatellite(s.satelliteId);
      await hold.held;
      await s.uplink.deleteObject('bucket', VICTIM.key);
      await s.network.satellite.settleDeletes(); // the satellite deleted the exiting node's piece too
      expect(await s.leaving.pieces.has(s.satelliteId, s.pieceId)).toBe(false);
      hold.release();
      await expectDroppedAndCleaned(s, undefined);
      await expectInvariants(s.network, { exiting: s.leaving, uplink: s.uplink, bucket: 'bucket', objects: OBJECTS, before: s.before });
    });

    it('the segment is deleted while its piece is on the way: dropped without penalty, the replacement gets a signed delete', async () => {
      const s = await victimStory(transport);
      const hold = holdReplacementCommit(s);
      await s.leaving.node!.exitSatellite(s.satelliteId);
      await hold.held;
      const replacement = await replacementOf(s);
      await s.uplink.deleteObject('bucket', VICTIM.key);
      hold.release();
      await expectDroppedAndCleaned(s, replacement);
      await expectInvariants(s.network, { exiting: s.leaving, uplink: s.uplink, bucket: 'bucket', objects: OBJECTS, before: s.before, unused: s.unused });
    });

    it('the key is uploaded again and the old version removed while its piece is on the way: dropped, the replacement cleaned up', async () => {
      const s = await victimStory(transport);
      const hold = holdReplacementCommit(s);
      await s.leaving.node!.exitSatellite(s.satelliteId);
      await hold.held;
      const replacement = await replacementOf(s);
      const again: StoryObject = { key: VICTIM.key, data: patterned(TEST_SEGMENT_SIZE + 500, 35) };
      const info = await s.uplink.upload('bucket', again.key, again.data);
      await s.uplink.deleteObject('bucket', VICTIM.key, { version: info.version - 1 });
      hold.release();
      await expectDroppedAndCleaned(s, replacement);
      await expectInvariants(s.network, { exiting: s.leaving, uplink: s.uplink, bucket: 'bucket', objects: [...OBJECTS, again], before: s.before, unused: s.unused });
    });

    it('the segment is repaired (its piece list swapped) mid-transfer: the repair stands, the transfer is dropped, the replacement cleaned up', async () => {
      const s = await victimStory(transport);
      const bytes = await stored(s.leaving, s.satelliteId, s.pieceId);
      const hold = s.taps.holdReads((index, pieceId) => index === s.leaving.index && equalBytes(pieceId, s.pieceId));
      await s.leaving.node!.exitSatellite(s.satelliteId);
      await hold.held;
      const replacement = await replacementOf(s);
      const target = s.network.nodes.find((h) => h !== replacement && !s.segment.pieces.some((p) => equalBytes(p.nodeId, h.identity.publicKey)))!;
      await repair(s, bytes, target);
      hold.release();
      await expectDroppedAndCleaned(s, replacement);
      const [after] = await s.network.store.metabase.segmentsByRootPieceId(s.segment.rootPieceId);
      expect(after!.pieces.find((p) => p.number === s.piece.number)!.nodeId).toEqual(target.identity.publicKey);
      await expectInvariants(s.network, { exiting: s.leaving, uplink: s.uplink, bucket: 'bucket', objects: [...OBJECTS, VICTIM], before: s.before, unused: s.unused });
    });

    it('an object moved while the satellite gathers: gathering iterates segments, so every piece is still handed over', async () => {
      network = await ExitNetwork.start({ transport, nodes: 8, redundancy: NO_SPARE, exit: { gatherBatchSize: 1 } });
      const uplink = await network.uplink();
      await uplink.createBucket('bucket');
      const streams: Uint8Array[] = [];
      for (const { key, data } of OBJECTS) streams.push((await uplink.upload('bucket', key, data)).streamId);
      const before = await pieceDigests(network);
      // A node holding pieces of both objects about to move.
      const segments = await allSegments(network);
      const holds = (h: ExitNodeHandle, streamId: Uint8Array) => segments.some((seg) => equalBytes(seg.streamId, streamId) && seg.pieces.some((p) => equalBytes(p.nodeId, h.identity.publicKey)));
      const leaving = network.nodes.find((h) => holds(h, streams[1]!) && holds(h, streams[2]!))!;
      const satelliteId = network.satellite.id.bytes;
      const mine = await piecesOn(network, leaving.identity.publicKey);

      // Gathering reads one segment per batch; its second batch waits until the move is done.
      const metabase = network.store.metabase;
      const iterate = metabase.iterateSegments.bind(metabase);
      let batches = 0;
      let gathering!: () => void;
      const paused = new Promise<void>((resolve) => (gathering = resolve));
      let resume!: () => void;
      const resumed = new Promise<void>((resolve) => (resume = resolve));
      metabase.iterateSegments = async (options) => {
        if (options.limit === 1 && ++batches === 2) {
          gathering();
          await resumed;
        }
        return iterate(options);
      };
      try {
        await leaving.node!.exitSatellite(satelliteId);
        await paused;
        await uplink.moveObject('bucket', 'several', 'moved/several');
        await uplink.moveObject('bucket', 'nested/deep/file', 'file');
        resume();
        await eventually('gathering to finish', async () => (await network!.store.exits.getExit(leaving.identity.publicKey))?.gatheredAt != null);
      } finally {
        resume();
        metabase.iterateSegments = iterate;
      }

      const record = await exitAll({ network, uplink }, leaving, satelliteId);
      expect(record.piecesQueued).toBe(mine.length);
      expect(record.piecesTransferred).toBe(mine.length);
      expect(await piecesOn(network, leaving.identity.publicKey)).toEqual([]);
      const moved: StoryObject[] = [OBJECTS[0]!, { key: 'moved/several', data: OBJECTS[1]!.data }, { key: 'file', data: OBJECTS[2]!.data }];
      await expectInvariants(network, { exiting: leaving, uplink, bucket: 'bucket', objects: moved, before });
    });

    it('copies share pieces: one transfer serves an object and its copies, and with the original deleted the copies read back without the node', async () => {
      network = await ExitNetwork.start({ transport, nodes: 8, redundancy: NO_SPARE });
      const uplink = await network.uplink();
      await uplink.createBucket('bucket');
      const original = patterned(2 * TEST_SEGMENT_SIZE + 99, 36);
      const info = await uplink.upload('bucket', 'original', original);
      await uplink.copyObject('bucket', 'original', 'copy-1');
      await uplink.copyObject('bucket', 'original', 'copies/copy-2');
      for (const { key, data } of OBJECTS) await uplink.upload('bucket', key, data);
      const before = await pieceDigests(network);
      // A node holding a piece of the original (and so of its copies), the busiest of those.
      const originalNodes = (await allSegments(network)).filter((seg) => equalBytes(seg.streamId, info.streamId)).flatMap((seg) => seg.pieces.map((p) => p.nodeId));
      const holders = network.nodes.filter((h) => originalNodes.some((id) => equalBytes(id, h.identity.publicKey)));
      const leaving = holders.sort((a, b) => b.pieces.usedBytes() - a.pieces.usedBytes())[0]!;
      const satelliteId = network.satellite.id.bytes;
      const mine = await piecesOn(network, leaving.identity.publicKey);
      const distinct = new Set(mine.map((m) => toHex(m.pieceId))).size;
      expect(distinct).toBeLessThan(mine.length); // the copies' segments name the same pieces

      await leaving.node!.exitSatellite(satelliteId);
      const record = await exitAll({ network, uplink }, leaving, satelliteId);
      expect(record.piecesQueued).toBe(distinct);
      expect(record.piecesTransferred).toBe(distinct);
      expect(await piecesOn(network, leaving.identity.publicKey)).toEqual([]);

      await uplink.deleteObject('bucket', 'original');
      await network.satellite.settleDeletes(); // the shared pieces stay: the copies still name them
      const copies: StoryObject[] = [{ key: 'copy-1', data: original }, { key: 'copies/copy-2', data: original }, ...OBJECTS];
      await expectInvariants(network, { exiting: leaving, uplink, bucket: 'bucket', objects: copies, before });
    });
  });
}
