/**
 * Graceful exit, the whole story over a real transport: a node with data asks to leave, the
 * satellite gathers its pieces, the node hands each one over with proof, gets a signed receipt
 * and removes what is left — and every object still downloads byte-identical with it switched off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../src/core/bytes.js';
import { decodeExitReceipt, verifyExitReceipt } from '../../src/exit/receipt.js';
import { GracefulExitProcess } from '../../src/exit/messages.js';
import { summarizeBandwidth } from '../../src/orders/ledger/types.js';
import { RpcClient } from '../../src/rpc/client.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { ExitNetwork } from './harness.js';

/** Every piece is needed (success = total): each of the exiting node's pieces must be transferred. */
const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;

let network: ExitNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

const OBJECTS = [
  { key: 'small', data: patterned(3_000, 1) },
  { key: 'one-segment', data: patterned(TEST_SEGMENT_SIZE - 100, 2) },
  { key: 'several', data: patterned(3 * TEST_SEGMENT_SIZE + 777, 3) },
  { key: 'nested/deep/file', data: patterned(2 * TEST_SEGMENT_SIZE, 4) },
];

async function segmentsOn(network: ExitNetwork, nodeId: Uint8Array): Promise<number> {
  let count = 0;
  let cursor;
  for (;;) {
    const batch = await network.store.metabase.iterateSegments({ cursor, limit: 100 });
    for (const s of batch) if (s.pieces.some((p) => equalBytes(p.nodeId, nodeId))) count++;
    if (batch.length < 100) return count;
    const last = batch.at(-1)!;
    cursor = { streamId: last.streamId, position: last.position };
  }
}

for (const transport of ['memory', 'tcp'] as const) {
  describe(`graceful exit over ${transport}`, () => {
    it('a node with data exits: every piece handed over with proof, a signed receipt, its disk emptied, and every object intact without it', async () => {
      network = await ExitNetwork.start({ transport, nodes: 8, redundancy: NO_SPARE });
      const uplink = await network.uplink();
      await uplink.createBucket('bucket');
      for (const { key, data } of OBJECTS) await uplink.upload('bucket', key, data);
      const leaving = network.busiest();
      const node = leaving.node!;
      const satelliteId = network.satellite.id.bytes;
      const heldBefore = leaving.pieces.usedBytes(satelliteId);
      expect(heldBefore).toBeGreaterThan(0);
      const referencedBefore = await segmentsOn(network, node.identity.publicKey);
      expect(referencedBefore).toBeGreaterThan(0);

      const started = await node.exitSatellite(satelliteId);
      expect(started.state).toBe('exiting');
      expect(started.startingBytes).toBe(heldBefore);
      // From the moment it asked, the node is never picked for new pieces.
      expect((await network.store.overlay.get(node.identity.publicKey))!.status).toBe('exiting');

      const status = (await node.exitFinished(satelliteId))!;
      expect(status.state).toBe('completed');
      expect(status.failureReason).toBeNull();
      expect(status.wiped).toBe(true);
      expect(status.bytesDeleted).toBe(heldBefore);
      expect(leaving.pieces.usedBytes(satelliteId)).toBe(0);
      const receipt = decodeExitReceipt(status.receipt!);
      expect(verifyExitReceipt(receipt, network.satellite.id, { nodeId: node.id })).toBe(true);
      expect(receipt.outcome).toBe('completed');

      const record = (await network.satellite.exits.status(node.identity.publicKey))!;
      expect(record.outcome).toBe('completed');
      expect(record.piecesTransferred + record.piecesDropped).toBe(record.piecesQueued);
      expect(record.piecesFailed).toBe(0);
      expect(record.piecesTransferred).toBeGreaterThan(0);
      expect(record.piecesTransferred).toBe(status.piecesTransferred);
      expect(record.bytesTransferred).toBe(status.bytesTransferred);
      expect((await network.store.overlay.get(node.identity.publicKey))!.status).toBe('exited');
      expect(await segmentsOn(network, node.identity.publicKey)).toBe(0);

      // Switched off for good: every object still reads back byte-identical.
      await network.stopNode(leaving.index);
      for (const { key, data } of OBJECTS) expect(equalBytes(await uplink.download('bucket', key), data)).toBe(true);
      expect(network.errors.filter((e) => !/check-in|settlement/.test(e.where))).toEqual([]);
    });
  });
}

describe('graceful exit: the receipt and the rules around it', () => {
  it('an exited node asking again gets the same receipt, and cannot exit twice', async () => {
    network = await ExitNetwork.start({ transport: 'memory', nodes: 6 });
    const uplink = await network.uplink();
    await uplink.createBucket('bucket');
    await uplink.upload('bucket', 'x', patterned(TEST_SEGMENT_SIZE, 7));
    const leaving = network.busiest();
    const satelliteId = network.satellite.id.bytes;
    await leaving.node!.exitSatellite(satelliteId);
    const first = (await leaving.node!.exitFinished(satelliteId))!;
    const again = await leaving.node!.exitSatellite(satelliteId);
    expect(again.state).toBe('completed');
    expect(toHex(again.receipt!)).toBe(toHex(first.receipt!));
  });
});

describe('graceful exit: pieces that need no transfer', () => {
  it('a segment that keeps its success threshold without the piece just drops it: nothing is uploaded, the node deletes it', async () => {
    // 5 pieces stored, 4 needed for success: every segment stays healthy without the leaving node.
    network = await ExitNetwork.start({ transport: 'memory', nodes: 6, redundancy: { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 5 } });
    const uplink = await network.uplink();
    await uplink.createBucket('bucket');
    const data = patterned(2 * TEST_SEGMENT_SIZE, 11);
    await uplink.upload('bucket', 'spare', data);
    const leaving = network.busiest();
    const satelliteId = network.satellite.id.bytes;
    const segments = await segmentsOn(network, leaving.identity.publicKey);
    const mine = (await network.store.metabase.iterateSegments({ limit: 100 })).filter((s) => s.pieces.some((p) => equalBytes(p.nodeId, leaving.identity.publicKey)));
    const fullSegments = mine.filter((s) => s.pieces.length === 5).length;
    expect(fullSegments).toBeGreaterThan(0);
    await leaving.node!.exitSatellite(satelliteId);
    const status = (await leaving.node!.exitFinished(satelliteId))!;
    const record = (await network.satellite.exits.status(leaving.identity.publicKey))!;
    expect(status.state).toBe('completed');
    expect(record.piecesQueued).toBe(segments);
    // Segments that had all 5 pieces lose one and keep 4 (= success): dropped; the others transfer.
    expect(record.piecesDropped).toBe(fullSegments);
    expect(record.piecesTransferred).toBe(segments - record.piecesDropped);
    expect(await segmentsOn(network, leaving.identity.publicKey)).toBe(0);
    await network.stopNode(leaving.index);
    expect(equalBytes(await uplink.download('bucket', 'spare'), data)).toBe(true);
  });
});

describe('graceful exit: while it runs, and what it costs', () => {
  it('an exiting node gets no new pieces but still serves downloads, and its exit traffic is recorded apart and never paid', async () => {
    network = await ExitNetwork.start({ transport: 'memory', nodes: 7, redundancy: NO_SPARE });
    const uplink = await network.uplink();
    await uplink.createBucket('bucket');
    const before = patterned(TEST_SEGMENT_SIZE, 21);
    await uplink.upload('bucket', 'before', before);
    const leaving = network.busiest();
    const satelliteId = network.satellite.id.bytes;
    // The exit is initiated by the node's first Process call; its worker is not running yet, so
    // nothing moves while we look.
    const client = new RpcClient({ transport: network.transport('by-hand'), address: network.satellite.address, identity: leaving.identity, expectedPeer: network.satellite.id });
    const stream = await client.stream(GracefulExitProcess);
    expect((await stream.receive())?.type).toBe('notReady');
    stream.cancel();
    await client.close();
    await network.satellite.exits.gather();
    expect((await network.store.overlay.get(leaving.identity.publicKey))!.status).toBe('exiting');

    const streamsBefore = new Set((await network.store.metabase.iterateSegments({ limit: 100 })).map((s) => toHex(s.streamId)));
    await uplink.upload('bucket', 'during', patterned(3 * TEST_SEGMENT_SIZE, 22));
    const segments = await network.store.metabase.iterateSegments({ limit: 100 });
    const duringSegments = segments.filter((s) => !streamsBefore.has(toHex(s.streamId)));
    expect(duringSegments.length).toBe(3); // 3 segments of TEST_SEGMENT_SIZE
    for (const s of duringSegments) expect(s.pieces.some((p) => equalBytes(p.nodeId, leaving.identity.publicKey))).toBe(false);
    expect(leaving.pieces.usedBytes(satelliteId)).toBeGreaterThan(0);
    // Only the exiting node and one other hold pieces of 'before' now (2 are required): the
    // download works only because an exiting node still serves downloads.
    const [segment] = segments.filter((s) => s.pieces.some((p) => equalBytes(p.nodeId, leaving.identity.publicKey)));
    const holders = network.nodes.filter((h) => segment!.pieces.some((p) => equalBytes(p.nodeId, h.identity.publicKey)));
    const others = holders.filter((h) => h !== leaving).slice(1);
    for (const h of others) await network.stopNode(h.index);
    expect(equalBytes(await uplink.download('bucket', 'before'), before)).toBe(true);
    for (const h of others) await network.startNode(h.index);

    // The node now runs its exit (the satellite already knows it is exiting) to the end.
    await leaving.node!.exitSatellite(satelliteId);
    const status = (await leaving.node!.exitFinished(satelliteId))!;
    expect(status.state).toBe('completed');

    for (const handle of network.nodes) await handle.node?.settleOrders();
    const now = Date.now();
    const report = summarizeBandwidth(await network.store.ledger.bandwidth({ from: now - 3_600_000 * 2, to: now + 3_600_000 }));
    // Exit uploads are the replacement nodes' gracefulExit traffic (PUT_GRACEFUL_EXIT), never paid traffic.
    const exitBytes = report.reduce((sum, r) => sum + r.byCategory.gracefulExit, 0);
    expect(exitBytes).toBe(report.reduce((sum, r) => sum + r.byAction.PUT_GRACEFUL_EXIT, 0));
    expect(exitBytes).toBeGreaterThanOrEqual(status.bytesTransferred);
    expect(status.bytesTransferred).toBeGreaterThan(0);
    const leavingReport = report.find((r) => equalBytes(r.nodeId, leaving.identity.publicKey));
    expect(leavingReport?.byCategory.gracefulExit ?? 0).toBe(0); // the sender is not credited for it
    const paid = report.reduce((sum, r) => sum + r.byCategory.paid, 0);
    expect(paid).toBe(report.reduce((sum, r) => sum + r.byAction.PUT + r.byAction.GET, 0));
  });
});

describe('graceful exit in createTestNetwork', () => {
  it('is on by default: a node exits and the network keeps every object', async () => {
    const { createTestNetwork } = await import('../../src/testing/network.js');
    const test = await createTestNetwork({ nodes: 6, satellite: { exit: { notReadyRetryMs: 10 } }, nodeExit: { minBackoffMs: 10 } });
    try {
      const uplink = await test.uplink();
      await uplink.createBucket('bucket');
      const data = patterned(2 * TEST_SEGMENT_SIZE, 31);
      await uplink.upload('bucket', 'kept', data);
      const leaving = [...test.nodes].sort((a, b) => b.storage.usedBytes() - a.storage.usedBytes())[0]!;
      await leaving.exitSatellite(test.satellite.id.bytes);
      expect((await leaving.exitFinished(test.satellite.id.bytes))?.state).toBe('completed');
      expect(leaving.storage.usedBytes()).toBe(0);
      expect(equalBytes(await uplink.download('bucket', 'kept'), data)).toBe(true);
    } finally {
      await test.close();
    }
  });
});
