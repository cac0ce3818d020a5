/**
 * Partial exit, the whole story (seed 001, non-MVP): an operator who wants to give less space to a
 * satellite asks it to move N bytes off. The satellite — not the node — picks the pieces (those of
 * its healthiest segments, until N), they move with the same proofs as a full exit, the node stays
 * active and keeps serving, and its allocation drops by N for good so it does not refill.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compareBytes, equalBytes, toHex } from '../../src/core/bytes.js';
import { GracefulExitInitiate } from '../../src/exit/messages.js';
import { decodeExitReceipt, verifyExitReceipt } from '../../src/exit/receipt.js';
import type { SegmentRecord } from '../../src/metainfo/metabase/types.js';
import { pieceSizeFor } from '../../src/metainfo/redundancy.js';
import { derivePieceId } from '../../src/orders/piece-id.js';
import { RpcClient } from '../../src/rpc/client.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { allSegments } from './checks.js';
import { ExitNetwork, type ExitNodeHandle } from './harness.js';

const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;
const CAPACITY = 50_000_000;

let network: ExitNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

const OBJECTS = [
  { key: 'a', data: patterned(3 * TEST_SEGMENT_SIZE + 500, 11) },
  { key: 'b', data: patterned(2 * TEST_SEGMENT_SIZE, 12) },
  { key: 'c', data: patterned(4 * TEST_SEGMENT_SIZE - 9, 13) },
];

interface Held {
  readonly pieceId: Uint8Array;
  readonly size: number;
  readonly segment: SegmentRecord;
}

/** The pieces `handle` holds, as segments list them. */
async function piecesOf(n: ExitNetwork, handle: ExitNodeHandle): Promise<Held[]> {
  const id = handle.identity.publicKey;
  const out: Held[] = [];
  for (const segment of await allSegments(n)) {
    const mine = segment.pieces.find((p) => equalBytes(p.nodeId, id));
    if (mine === undefined || segment.redundancy === undefined) continue;
    out.push({ pieceId: derivePieceId(segment.rootPieceId, id, mine.number), size: pieceSizeFor(segment.encryptedSize, segment.redundancy), segment });
  }
  return out;
}

async function setUp(transport: 'memory' | 'tcp'): Promise<{ n: ExitNetwork; leaving: ExitNodeHandle; weak: ExitNodeHandle }> {
  const n = (network = await ExitNetwork.start({ transport, nodes: 8, redundancy: NO_SPARE, node: () => ({ capacity: CAPACITY }) }));
  const uplink = await n.uplink();
  await uplink.createBucket('bucket');
  for (const { key, data } of OBJECTS) await uplink.upload('bucket', key, data);
  const leaving = n.busiest();
  // The node sharing the fewest (but some) segments with it is disqualified: those segments are less healthy.
  const held = await piecesOf(n, leaving);
  const overlap = (h: ExitNodeHandle) => held.filter((p) => p.segment.pieces.some((q) => equalBytes(q.nodeId, h.identity.publicKey))).length;
  const weak = n.nodes.filter((h) => h !== leaving && overlap(h) > 0).sort((a, b) => overlap(a) - overlap(b))[0]!;
  await n.store.overlay.setStatus({ id: weak.identity.publicKey, from: 'active', to: 'disqualified', at: Date.now(), reason: 'a test' });
  return { n, leaving, weak };
}

for (const transport of ['memory', 'tcp'] as const) {
  describe(`partial exit over ${transport}`, () => {
    it('moves N bytes off: the satellite picks the healthiest segments\' pieces, proves each transfer, and the node stays active with its allocation lowered for good', async () => {
      const { n, leaving, weak } = await setUp(transport);
      const node = leaving.node!;
      const satelliteId = n.satellite.id.bytes;
      const held = await piecesOf(n, leaving);
      const heldBefore = leaving.pieces.usedBytes(satelliteId);
      // The satellite's choice, predicted: segments without the disqualified node are healthier; among equals, by piece id.
      const healthiest = held
        .filter((p) => !p.segment.pieces.some((q) => equalBytes(q.nodeId, weak.identity.publicKey)))
        .sort((a, b) => compareBytes(a.pieceId, b.pieceId));
      expect(healthiest.length).toBeGreaterThanOrEqual(3);
      const [first, second] = healthiest as [Held, Held];
      const target = first.size + second.size - 1; // the second piece reaches it

      const started = await node.exitPartially(satelliteId, target);
      expect(started).toMatchObject({ state: 'exiting', kind: 'partial', targetBytes: target, startingBytes: target, policy: 'transfer' });
      // The node is never marked exiting: it keeps getting new pieces and serving downloads.
      expect((await n.store.overlay.get(leaving.identity.publicKey))!.status).toBe('active');
      expect(node.allocatedBytes).toBe(CAPACITY - target);

      const status = (await node.exitFinished(satelliteId))!;
      expect(status).toMatchObject({ state: 'completed', kind: 'partial', piecesTransferred: 2, bytesTransferred: first.size + second.size, wiped: false });
      const receipt = decodeExitReceipt(status.receipt!);
      expect(receipt).toMatchObject({ outcome: 'completed', kind: 'partial' });
      expect(verifyExitReceipt(receipt, n.satellite.id, { nodeId: node.id })).toBe(true);

      // Exactly the chosen pieces moved, and only after their segments named a replacement.
      const moved = new Set([toHex(first.pieceId), toHex(second.pieceId)]);
      expect(leaving.pieces.usedBytes(satelliteId)).toBe(heldBefore - first.size - second.size);
      for (const piece of held) expect(await leaving.pieces.has(satelliteId, piece.pieceId)).toBe(!moved.has(toHex(piece.pieceId)));
      const after = new Set((await piecesOf(n, leaving)).map((p) => toHex(p.pieceId)));
      expect(after.size).toBe(held.length - 2);
      for (const key of moved) expect(after.has(key)).toBe(false);

      const record = (await n.satellite.exits.status(leaving.identity.publicKey))!;
      expect(record).toMatchObject({ kind: 'partial', targetBytes: target, outcome: 'completed', piecesQueued: 2, piecesTransferred: 2, piecesFailed: 0, startingBytes: first.size + second.size });
      expect((await n.store.overlay.get(leaving.identity.publicKey))!.status).toBe('active');
      const uplink = await n.uplink();
      for (const { key, data } of OBJECTS) expect(Buffer.from(await uplink.download('bucket', key)).equals(data)).toBe(true);

      // A restart keeps the lowered allocation (what check-ins report), so the node does not refill.
      const again = await n.restartNode(leaving.index);
      expect(again.allocatedBytes).toBe(CAPACITY - target);
      expect(leaving.pieces.usedBytes(satelliteId)).toBe(heldBefore - first.size - second.size); // the startup sweep wiped nothing

      // Later the node leaves for good: a full exit starts after the partial one, which moves to the history.
      const full = await again.exitSatellite(satelliteId);
      expect(full).toMatchObject({ kind: 'full', state: 'exiting', startingBytes: heldBefore - first.size - second.size });
      expect((await again.exitFinished(satelliteId))!.state).toBe('completed');
      expect(leaving.pieces.usedBytes(satelliteId)).toBe(0);
      expect((await again.exitHistory(satelliteId)).map((h) => [h.kind, h.state])).toEqual([['partial', 'completed']]);
      const report = await n.satellite.exits.report({ from: 0, to: Date.now() + 1 });
      expect(report.map((r) => [r.kind, r.outcome])).toEqual([['partial', 'completed'], ['full', 'completed']]);
    });
  });
}

describe('partial exit: what is refused', () => {
  it('refuses more bytes than the node holds, a non-positive amount, a malformed request, and a second exit while one runs — each changing nothing', async () => {
    const { n, leaving } = await setUp('memory');
    const node = leaving.node!;
    const satelliteId = n.satellite.id.bytes;
    const held = leaving.pieces.usedBytes(satelliteId);
    await expect(node.exitPartially(satelliteId, held + 1)).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining(`holds ${held} bytes`) });
    await expect(node.exitPartially(satelliteId, 0)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(node.exitPartially(satelliteId, 1.5)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    // Straight to the satellite: a full exit with a target, a partial one without, an unknown kind.
    const client = new RpcClient({ transport: n.transport('by-hand'), address: n.satellite.address, identity: leaving.identity, expectedPeer: n.satellite.id });
    try {
      await expect(client.call(GracefulExitInitiate, { kind: 'full', targetBytes: 5 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(client.call(GracefulExitInitiate, { kind: 'partial' })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(client.call(GracefulExitInitiate, { kind: 'most' } as never)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(client.call(GracefulExitInitiate, { kind: 'partial', targetBytes: -3 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    } finally {
      await client.close();
    }
    expect(await n.satellite.exits.status(leaving.identity.publicKey)).toBeUndefined();
    expect(await node.exitStatuses()).toEqual([]);
    expect(node.allocatedBytes).toBe(CAPACITY);

    await node.exitPartially(satelliteId, 1000);
    await expect(node.exitSatellite(satelliteId)).rejects.toMatchObject({ name: 'FailedPreconditionError', message: expect.stringContaining('partial exit') });
    await expect(node.exitPartially(satelliteId, 2000)).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    // The same request again is the same exit.
    expect((await node.exitPartially(satelliteId, 1000)).kind).toBe('partial');
    expect((await node.exitFinished(satelliteId))!.state).toBe('completed');
    expect(node.allocatedBytes).toBe(CAPACITY - 1000);
  });
});
