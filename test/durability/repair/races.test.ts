/**
 * A repair racing everything else that changes a segment: an upload, a move, a delete, a
 * graceful-exit transfer, another repairer. The repair downloads and uploads, then — at the
 * worst moment, between its uploads and its compare-and-swap — the other change lands. Nothing
 * is lost: the repair re-reads and decides again, never overwrites, and deletes the pieces it
 * uploaded that no segment ends up listing. Also: pieces that fail their hash, or that their
 * node has lost, are skipped, reported, and replaced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes } from '../../../src/core/bytes.js';
import { RepairService } from '../../../src/durability/repair/service.js';
import type { RepairPieceFailure } from '../../../src/durability/repair/types.js';
import type { RedundancyScheme, SegmentRecord } from '../../../src/metainfo/metabase/types.js';
import type { StorageNode } from '../../../src/node/storage-node.js';
import { derivePieceId } from '../../../src/orders/piece-id.js';
import type { PieceStore } from '../../../src/piecestore/store.js';
import { PieceDeleter } from '../../../src/satellite/piece-deleter.js';
import { systemClock } from '../../../src/core/clock.js';
import { createTestNetwork, TEST_SEGMENT_SIZE, type TestNetwork } from '../../../src/testing/network.js';
import { tcpTransport } from '../../../src/transport/tcp.js';
import type { Uplink } from '../../../src/uplink/uplink.js';
import { patterned } from '../../uplink/support/bytes.js';
import { FaultyPieceStore } from '../../uplink/support/faulty-store.js';
import { allSegments, expectListedPiecesStored, healthyPieces, holders, killAndDisqualify, MANUAL_REPAIR, ONLINE_WINDOW_MS, unlistedPieces } from './support.js';

const RS: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 3, repair: 5, success: 6, total: 7 };
const DATA = patterned(TEST_SEGMENT_SIZE - 100, 21);

let network: TestNetwork | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await network?.close();
  network = undefined;
});

let repairers = 0;
/** A repairer of its own over the satellite's stores and identity, with a hook between upload and swap. */
function repairerFor(net: TestNetwork, beforeSwap?: (segment: SegmentRecord) => Promise<void>): { service: RepairService; deleter: PieceDeleter; failures: RepairPieceFailure[] } {
  const transport = net.net ? net.net.transport({ host: `repairer-${repairers++}` }) : tcpTransport();
  const { identity, store } = net.satellite;
  const deleter = new PieceDeleter({ identity, overlay: store.overlay, transport, clock: systemClock });
  const service = new RepairService({
    identity, metabase: store.metabase, overlay: store.overlay, queue: store.repairQueue, transport, onlineWindowMs: ONLINE_WINDOW_MS,
    config: MANUAL_REPAIR, deletePiece: (nodeId, pieceId) => deleter.enqueuePiece(nodeId, pieceId),
    ...(beforeSwap === undefined ? {} : { beforeSwap }),
  });
  const failures: RepairPieceFailure[] = [];
  service.onPieceFailure((f) => failures.push(f));
  closers.push(async () => {
    await service.close();
    await deleter.close();
  });
  return { service, deleter, failures };
}

/** The network's one remote segment. */
async function theSegment(net: TestNetwork): Promise<SegmentRecord> {
  const remote = (await allSegments(net)).filter((s) => s.pieces.length > 0);
  expect(remote).toHaveLength(1);
  return remote[0]!;
}

interface Scene {
  readonly uplink: Uplink;
  readonly segment: SegmentRecord;
  /** Running nodes, not killed. */
  readonly live: StorageNode[];
  readonly orphansBefore: number;
}

/** One object of one segment; enough of its holders killed that 5 are left (at the repair threshold). */
async function scene(options: { transport?: 'memory' | 'tcp'; wrapStorage?: (storage: PieceStore, index: number) => PieceStore } = {}): Promise<Scene> {
  network = await createTestNetwork({
    nodes: 10, transport: options.transport ?? 'memory', redundancy: RS,
    satellite: { repair: MANUAL_REPAIR, exit: { notReadyRetryMs: 10 } }, nodeExit: { minBackoffMs: 10 },
    ...(options.wrapStorage === undefined ? {} : { wrapStorage: options.wrapStorage }),
  });
  const uplink = await network.uplink();
  await uplink.createBucket('race');
  await uplink.upload('race', 'obj', DATA);
  const segment = await theSegment(network);
  const holding = holders(network, segment);
  const dead = holding.slice(0, holding.length - 5);
  await killAndDisqualify(network, dead);
  const live = network.nodes.filter((n) => !dead.includes(n));
  expect(await healthyPieces(network, segment, Date.now())).toBe(5);
  return { uplink, segment, live, orphansBefore: await unlistedPieces(network, live) };
}

async function expectWhole(net: TestNetwork, segment: SegmentRecord): Promise<void> {
  const now = (await net.satellite.store.metabase.getSegment(segment.streamId, segment.position))!;
  expect(await healthyPieces(net, now, Date.now())).toBe(RS.success);
}

describe('a repair racing other changes to the same segment', () => {
  it('a move lands first: it keeps the segment and its pieces, so the swap goes through and the moved object is whole', async () => {
    const { uplink, segment, live, orphansBefore } = await scene();
    const { service, deleter } = repairerFor(network!, async () => void (await uplink.moveObject('race', 'obj', 'moved')));
    expect(await service.repairSegment(segment.streamId, segment.position)).toBe('repaired');
    await deleter.drain();
    await expectWhole(network!, segment);
    expect(Buffer.from(await uplink.download('race', 'moved')).equals(DATA)).toBe(true);
    await expectListedPiecesStored(network!, live);
    expect(await unlistedPieces(network!, live)).toBe(orphansBefore);
  });

  it('a delete lands first: nothing is swapped in, and every piece the repair uploaded is deleted', async () => {
    const { uplink, segment, live } = await scene();
    const { service, deleter } = repairerFor(network!, async () => {
      await uplink.deleteObject('race', 'obj');
    });
    expect(await service.repairSegment(segment.streamId, segment.position)).toBe('gone');
    await deleter.drain();
    await network!.satellite.settleDeletes();
    expect(await allSegments(network!)).toEqual([]);
    const satelliteId = network!.satellite.id.bytes;
    for (const node of live) {
      for (let n = 0; n < RS.total; n++) expect(await node.storage.has(satelliteId, derivePieceId(segment.rootPieceId, node.identity.publicKey, n))).toBe(false);
    }
  });

  it('uploads land first (a new version of the key, another object): the old version is repaired and every version downloads', async () => {
    const { uplink, segment, live, orphansBefore } = await scene();
    const newer = patterned(5_000, 22);
    const other = patterned(TEST_SEGMENT_SIZE, 23);
    const { service, deleter } = repairerFor(network!, async () => {
      await uplink.upload('race', 'obj', newer);
      await uplink.upload('race', 'other', other);
    });
    expect(await service.repairSegment(segment.streamId, segment.position)).toBe('repaired');
    await deleter.drain();
    await expectWhole(network!, segment);
    const first = (await uplink.stat('race', 'obj', { version: 1 }))!;
    expect(Buffer.from(await uplink.download('race', 'obj', { version: first.version })).equals(DATA)).toBe(true);
    expect(Buffer.from(await uplink.download('race', 'obj')).equals(newer)).toBe(true);
    expect(Buffer.from(await uplink.download('race', 'other')).equals(other)).toBe(true);
    await expectListedPiecesStored(network!, live);
    expect(await unlistedPieces(network!, live)).toBe(orphansBefore);
  });

  for (const transport of ['memory', 'tcp'] as const) {
    it(`a graceful-exit transfer of one of its pieces lands first (${transport}): both changes stay, the exit completes, the object is whole`, async () => {
      const { uplink, segment, live, orphansBefore } = await scene({ transport });
      const satelliteId = network!.satellite.id.bytes;
      const exiting = holders(network!, segment).at(-1)!;
      let exited = false;
      const { service, deleter } = repairerFor(network!, async () => {
        if (exited) return;
        exited = true;
        await exiting.exitSatellite(satelliteId);
        expect((await exiting.exitFinished(satelliteId))?.state).toBe('completed');
      });
      const outcome = await service.repairSegment(segment.streamId, segment.position);
      // The exit may have handed its piece to the node the repair had just uploaded to: that
      // upload cannot join (one node, one piece), so the repair can fall short and is tried again.
      expect(['repaired', 'partial', 'failed']).toContain(outcome);
      await deleter.drain();
      const record = (await network!.satellite.exits.status(exiting.identity.publicKey))!;
      expect(record.piecesTransferred).toBe(1);
      const after = (await network!.satellite.store.metabase.getSegment(segment.streamId, segment.position))!;
      expect(after.pieces.some((p) => equalBytes(p.nodeId, exiting.identity.publicKey))).toBe(false);
      if (outcome !== 'repaired') expect(await service.repairSegment(segment.streamId, segment.position)).toBe('repaired');
      await expectWhole(network!, segment);
      expect(Buffer.from(await uplink.download('race', 'obj')).equals(DATA)).toBe(true);
      const running = live.filter((n) => n !== exiting);
      await expectListedPiecesStored(network!, running);
      await deleter.drain();
      expect(await unlistedPieces(network!, running)).toBeLessThanOrEqual(orphansBefore);
    });
  }

  it('another repairer gets there first: one set of new pieces is swapped in, the other is deleted, the segment is at success, not above', async () => {
    const { uplink, segment, live, orphansBefore } = await scene();
    const second = repairerFor(network!);
    const first = repairerFor(network!, async () => {
      expect(await second.service.repairSegment(segment.streamId, segment.position)).toBe('repaired');
    });
    expect(await first.service.repairSegment(segment.streamId, segment.position)).toBe('repaired');
    await first.deleter.drain();
    await second.deleter.drain();
    const after = (await network!.satellite.store.metabase.getSegment(segment.streamId, segment.position))!;
    expect(after.pieces).toHaveLength(RS.success);
    await expectWhole(network!, segment);
    expect(Buffer.from(await uplink.download('race', 'obj')).equals(DATA)).toBe(true);
    await expectListedPiecesStored(network!, live);
    expect(await unlistedPieces(network!, live)).toBe(orphansBefore);
  });
});

describe('repair beside graceful exit', () => {
  it('an exiting node\'s piece is a source that does not count: it stays listed, and the segment gets back to success without it', async () => {
    const { uplink, segment, live } = await scene();
    // Of the 5 left, the lowest-numbered is marked exiting (its exit's transfers are not running here).
    const exiting = holders(network!, segment).slice(-5)[0]!;
    await network!.satellite.store.overlay.setStatus({ id: exiting.identity.publicKey, from: 'active', to: 'exiting', at: Date.now() });
    const { service, failures } = repairerFor(network!);
    expect(await service.repairSegment(segment.streamId, segment.position)).toBe('repaired');
    expect(failures).toEqual([]);
    const after = (await network!.satellite.store.metabase.getSegment(segment.streamId, segment.position))!;
    const mine = segment.pieces.find((p) => equalBytes(p.nodeId, exiting.identity.publicKey))!;
    expect(after.pieces).toContainEqual(mine); // the exit's transfer will still find it
    expect(after.pieces).toHaveLength(RS.success + 1);
    await expectWhole(network!, segment);
    expect(Buffer.from(await uplink.download('race', 'obj')).equals(DATA)).toBe(true);
    await expectListedPiecesStored(network!, live);
  });
});

describe('bad sources', () => {
  it('a piece that fails its hash and a piece its node lost are skipped, reported, replaced, and leave the list', async () => {
    const stores: FaultyPieceStore[] = [];
    const { uplink, segment, live } = await scene({ wrapStorage: (inner) => stores[stores.push(new FaultyPieceStore(inner)) - 1]! });
    const [corrupting, losing] = holders(network!, segment).slice(-5);
    stores[network!.nodes.indexOf(corrupting!)]!.corrupt = true;
    const satelliteId = network!.satellite.id.bytes;
    const lostNumber = segment.pieces.find((p) => equalBytes(p.nodeId, losing!.identity.publicKey))!.number;
    await losing!.storage.delete(satelliteId, derivePieceId(segment.rootPieceId, losing!.identity.publicKey, lostNumber));

    const { service, failures } = repairerFor(network!);
    expect(await service.repairSegment(segment.streamId, segment.position)).toBe('repaired');
    expect(failures.map((f) => [f.reason, Buffer.from(f.nodeId).toString('hex')]).sort()).toEqual(
      [['corrupt', Buffer.from(corrupting!.identity.publicKey).toString('hex')], ['missing', Buffer.from(losing!.identity.publicKey).toString('hex')]].sort(),
    );
    const corrupt = failures.find((f) => f.reason === 'corrupt')!;
    expect(corrupt.detail).toMatch(/do not match their signed hash/);
    expect(corrupt.pieceId).toEqual(derivePieceId(segment.rootPieceId, corrupting!.identity.publicKey, corrupt.pieceNumber));
    expect(corrupt.streamId).toEqual(segment.streamId);

    const after = (await network!.satellite.store.metabase.getSegment(segment.streamId, segment.position))!;
    expect(after.pieces.some((p) => equalBytes(p.nodeId, corrupting!.identity.publicKey) || equalBytes(p.nodeId, losing!.identity.publicKey))).toBe(false);
    expect(after.pieces).toHaveLength(RS.success);
    await expectWhole(network!, segment);
    expect(Buffer.from(await uplink.download('race', 'obj')).equals(DATA)).toBe(true);
    await expectListedPiecesStored(network!, live);
  });
});
