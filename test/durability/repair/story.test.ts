/**
 * Repair, the whole story over a real transport: 3 of 10 nodes stop for good, the checker
 * queues the segments that fell to their repair threshold, the repairer brings each back to its
 * success threshold from verified pieces, every object downloads byte-identical with those nodes
 * off, and the traffic is settled as repair, apart from paid. Copies share pieces: repairing
 * one leaves every copy healthy, and nothing a copy still lists is released.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { RedundancyScheme } from '../../../src/metainfo/metabase/types.js';
import { pieceSizeFor } from '../../../src/metainfo/redundancy.js';
import { summarizeBandwidth } from '../../../src/orders/ledger/types.js';
import { createTestNetwork, TEST_SEGMENT_SIZE, type TestNetwork } from '../../../src/testing/network.js';
import { patterned } from '../../uplink/support/bytes.js';
import { allSegments, busiest, expectListedPiecesStored, healthyPieces, MANUAL_REPAIR, stopForGood, unlistedPieces } from './support.js';

/** 3 needed, repaired at 5 healthy or fewer, back to 6; 7 stored. With 3 of 10 nodes gone, 7 remain: enough for any segment. */
const RS: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 3, repair: 5, success: 6, total: 7 };

const OBJECTS = [
  { key: 'inline', data: patterned(3_000, 1) },
  { key: 'one-segment', data: patterned(TEST_SEGMENT_SIZE - 100, 2) },
  { key: 'several', data: patterned(3 * TEST_SEGMENT_SIZE + 777, 3) },
  { key: 'nested/deep/file', data: patterned(2 * TEST_SEGMENT_SIZE, 4) },
  ...Array.from({ length: 6 }, (_, i) => ({ key: `many/${i}`, data: patterned(TEST_SEGMENT_SIZE / 2 + i * 1000, 10 + i) })),
];

let network: TestNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

for (const [transport, storage] of [['memory', 'memory'], ['tcp', 'sqlite']] as const) {
  describe(`repair over ${transport} with ${storage} stores`, () => {
    it('3 of 10 nodes stop for good: the checker queues what fell to the threshold, repair restores each to success, every object downloads intact', async () => {
      const clock = new ManualClock(Date.now());
      network = await createTestNetwork({ nodes: 10, transport, storage, clock, redundancy: RS, repair: MANUAL_REPAIR });
      const uplink = await network.uplink();
      await uplink.createBucket('photos');
      for (const { key, data } of OBJECTS) await uplink.upload('photos', key, data);

      const dead = await busiest(network, 3);
      const live = network.nodes.filter((n) => !dead.includes(n));
      await stopForGood(network, dead, clock);

      const before = new Map<string, number>();
      for (const s of await allSegments(network)) if (s.pieces.length > 0) before.set(Buffer.from(s.streamId).toString('hex') + s.position.index, await healthyPieces(network, s, clock.now()));
      const needing = [...before.values()].filter((h) => h <= RS.repair).length;
      expect(needing).toBeGreaterThan(0);

      const failures: unknown[] = [];
      network.satellite.repair.onPieceFailure((f) => failures.push(f));
      const checked = await network.satellite.repair.checkOnce();
      expect(checked.queued).toBe(needing);
      expect(checked.irreparable).toBe(0);
      expect(checked.remote).toBe(before.size);
      expect(await network.satellite.store.repairQueue.count()).toBe(needing);

      const run = await network.satellite.repair.repairOnce();
      expect(run).toEqual({ repaired: needing, partial: 0, healthy: 0, gone: 0, irreparable: 0, failed: 0 });
      expect(failures).toEqual([]);
      expect(await network.satellite.store.repairQueue.count()).toBe(0);

      let getRepair = 0;
      let putRepair = 0;
      for (const s of await allSegments(network)) {
        if (s.pieces.length === 0) continue;
        const healthy = await healthyPieces(network, s, clock.now());
        const was = before.get(Buffer.from(s.streamId).toString('hex') + s.position.index)!;
        expect(healthy).toBeGreaterThanOrEqual(RS.success);
        if (was > RS.repair) continue;
        // Repaired to exactly its success threshold, every piece on a running node.
        expect(s.pieces).toHaveLength(RS.success);
        expect(healthy).toBe(RS.success);
        const size = pieceSizeFor(s.encryptedSize, RS);
        getRepair += RS.required * size;
        putRepair += (RS.success - was) * size;
      }
      for (const { key, data } of OBJECTS) expect(Buffer.from(await uplink.download('photos', key)).equals(data)).toBe(true);
      await expectListedPiecesStored(network, live);

      // The repairer's traffic is settled like any order, under its own actions: exactly
      // `required` whole pieces down per repaired segment, and the missing ones up.
      for (const node of live) await node.settleOrders();
      const reports = summarizeBandwidth(await network.satellite.store.ledger.bandwidth({ from: 0, to: clock.now() + 3_600_000 }));
      const sum = (action: 'GET_REPAIR' | 'PUT_REPAIR') => reports.reduce((n, r) => n + r.byAction[action], 0);
      expect(sum('GET_REPAIR')).toBe(getRepair);
      expect(sum('PUT_REPAIR')).toBe(putRepair);
      expect(reports.reduce((n, r) => n + r.byCategory.repair, 0)).toBe(getRepair + putRepair);

      // A second pass finds nothing to do.
      expect((await network.satellite.repair.checkOnce()).queued).toBe(0);
    });

    it('an object, two server-side copies, the original deleted: repair leaves every copy healthy and downloadable, and releases nothing a copy lists', async () => {
      const clock = new ManualClock(Date.now());
      network = await createTestNetwork({ nodes: 10, transport, storage, clock, redundancy: RS, repair: MANUAL_REPAIR });
      const uplink = await network.uplink();
      await uplink.createBucket('copies');
      const data = patterned(3 * TEST_SEGMENT_SIZE + 123, 7);
      await uplink.upload('copies', 'original', data);
      await uplink.copyObject('copies', 'original', 'copy-1');
      await uplink.copyObject('copies', 'original', 'copy-2');
      await uplink.deleteObject('copies', 'original');
      await network.satellite.settleDeletes();
      const remote = (await allSegments(network)).filter((s) => s.pieces.length > 0);
      expect(remote).toHaveLength(6); // two copies of three remote segments (the last, small one is inline), sharing pieces

      const dead = await busiest(network, 3);
      const live = network.nodes.filter((n) => !dead.includes(n));
      // Pieces no segment lists already (an upload's long tail, stored after the uplink moved on): garbage collection's, not repair's.
      const orphansBefore = await unlistedPieces(network, live);
      await stopForGood(network, dead, clock);
      const checked = await network.satellite.repair.checkOnce();
      expect(checked.queued).toBeGreaterThan(0);
      const run = await network.satellite.repair.repairOnce();
      expect(run.failed + run.partial + run.irreparable + run.gone).toBe(0);
      // One repair per shared piece list; the copy's own item then finds nothing left to do.
      expect(run.repaired).toBe(checked.queued / 2);
      expect(run.healthy).toBe(checked.queued / 2);
      await network.satellite.settleDeletes();

      const after = (await allSegments(network)).filter((s) => s.pieces.length > 0);
      for (const s of after) expect(await healthyPieces(network, s, clock.now())).toBeGreaterThanOrEqual(RS.success);
      // Both copies still share every piece: the same list per position.
      const byRoot = new Map<string, string[]>();
      for (const s of after) {
        const key = Buffer.from(s.rootPieceId).toString('hex');
        byRoot.set(key, [...(byRoot.get(key) ?? []), JSON.stringify(s.pieces.map((p) => [p.number, Buffer.from(p.nodeId).toString('hex')]))]);
      }
      expect(byRoot.size).toBe(3);
      for (const lists of byRoot.values()) expect(new Set(lists).size).toBe(1);
      expect(Buffer.from(await uplink.download('copies', 'copy-1')).equals(data)).toBe(true);
      expect(Buffer.from(await uplink.download('copies', 'copy-2')).equals(data)).toBe(true);
      await expectListedPiecesStored(network, live);
      expect(await unlistedPieces(network, live)).toBe(orphansBefore); // no repair upload left behind either
    });
  });
}
