/**
 * The time-based exit policy (what Storj moved to in 2023), behind the same API: a node that asks
 * to leave stays online for the configured period; no piece is transferred — it is `exiting`, so
 * its pieces count unhealthy and repair rebuilds what needs it — and its online score over the
 * period decides. Same receipts, same report. On a simulated clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/core/bytes.js';
import { ManualClock } from '../../src/core/clock.js';
import { GracefulExitProcess } from '../../src/exit/messages.js';
import { decodeExitReceipt, verifyExitReceipt } from '../../src/exit/receipt.js';
import { RpcClient } from '../../src/rpc/client.js';
import type { RedundancyScheme, SegmentRecord } from '../../src/metainfo/metabase/types.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { allSegments } from './checks.js';
import { ExitNetwork } from './harness.js';

const RS: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 3, repair: 5, success: 6, total: 7 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PERIOD = 10 * DAY;
/** Chores that stay out of the way: the test runs repair and the exit chore itself. */
const QUIET = {
  repair: { checkIntervalMs: 40 * DAY, repairIntervalMs: 40 * DAY },
  gc: { intervalMs: 40 * DAY },
  contact: { intervalMs: 40 * DAY },
  cleanupIntervalMs: 40 * DAY,
  exitInactivityCheckMs: 40 * DAY,
};

let network: ExitNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

async function drive(clock: ManualClock, stepMs: number, condition: () => Promise<boolean> | boolean, what: string, maxMs: number): Promise<void> {
  // Bounded by the clock's steps, not the wall: a loaded machine only makes each step slower
  // (the test's own timeout still catches a hang).
  for (let moved = 0; ; moved += stepMs) {
    if (await condition()) return;
    if (moved > maxMs) throw new Error(`nothing after ${maxMs} ms of the clock: still waiting for ${what}`);
    clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}

describe('time-based exits', () => {
  it('nothing moves; repair rebuilds what needs it; the node online through the period completes, the one that went away fails ONLINE_SCORE_TOO_LOW; same receipts, same report', async () => {
    const clock = new ManualClock(Date.now());
    const n = (network = await ExitNetwork.start({
      transport: 'memory',
      nodes: 10,
      redundancy: RS,
      clock,
      exit: { policy: 'time-based', timeBasedPeriodMs: PERIOD, timeBasedMinOnlineScore: 0.8 },
      satellite: QUIET,
    }));
    const uplink = await n.uplink();
    await uplink.createBucket('bucket');
    const objects = [
      { key: 'a', data: patterned(4 * TEST_SEGMENT_SIZE + 11, 61) },
      { key: 'b', data: patterned(3 * TEST_SEGMENT_SIZE, 62) },
    ];
    for (const { key, data } of objects) await uplink.upload('bucket', key, data);
    const [stays, leaves] = [...n.nodes].sort((a, b) => b.pieces.usedBytes() - a.pieces.usedBytes());
    const satelliteId = n.satellite.id.bytes;
    const start = clock.now();
    const held = stays!.pieces.usedBytes(satelliteId);

    const started = await stays!.node!.exitSatellite(satelliteId);
    expect(started).toMatchObject({ state: 'exiting', policy: 'time-based', kind: 'full', startingBytes: held });
    await leaves!.node!.exitSatellite(satelliteId);
    const record = (await n.satellite.exits.status(stays!.identity.publicKey))!;
    expect(record).toMatchObject({ policy: 'time-based', kind: 'full', gatheredAt: start, piecesQueued: 0 });
    expect((await n.store.overlay.get(stays!.identity.publicKey))!.status).toBe('exiting');
    const [progress] = await n.satellite.exits.progress();
    expect(progress).toMatchObject({ policy: 'time-based', percent: 0 });

    // The exiting nodes' pieces count unhealthy already: the checker queues every segment that fell to its threshold.
    const exiting = [stays!.identity.publicKey, leaves!.identity.publicKey];
    const holding = (s: SegmentRecord) => s.pieces.some((p) => exiting.some((id) => equalBytes(p.nodeId, id)));
    expect((await allSegments(n)).some(holding)).toBe(true);
    const checked = await n.satellite.repair.checkOnce();
    expect(checked.queued).toBeGreaterThan(0);

    // One node goes away for most of the period; the other stays up (the contact service's record).
    await n.stopNode(leaves!.index);
    for (let at = start + HOUR; at < start + PERIOD; at += HOUR) {
      await n.store.overlay.recordContact(stays!.identity.publicKey, { at, success: true });
      await n.store.overlay.recordContact(leaves!.identity.publicKey, { at, success: at < start + DAY });
    }

    // The period runs out: the staying node, polling, gets its receipt and empties its disk.
    const node = stays!.node!;
    await drive(clock, HOUR, async () => (await node.db.exits.get(satelliteId))?.state !== 'exiting', 'the time-based exit to end', PERIOD + DAY);
    expect(clock.now()).toBeGreaterThanOrEqual(start + PERIOD);
    const status = (await node.exitFinished(satelliteId))!;
    expect(status).toMatchObject({ state: 'completed', piecesTransferred: 0, bytesTransferred: 0, wiped: true });
    expect(stays!.pieces.usedBytes(satelliteId)).toBe(0);
    const receipt = decodeExitReceipt(status.receipt!);
    expect(receipt.outcome).toBe('completed');
    expect(verifyExitReceipt(receipt, n.satellite.id, { nodeId: node.id })).toBe(true);
    expect((await n.store.overlay.get(stays!.identity.publicKey))!.status).toBe('exited');

    // The one that went away is judged by the satellite's own chore, and told when it comes back.
    expect(await n.satellite.exits.checkDue()).toEqual({ inactive: 0, timeBased: 1 });
    const failed = (await n.satellite.exits.status(leaves!.identity.publicKey))!;
    expect(failed).toMatchObject({ outcome: 'failed', failureReason: 'ONLINE_SCORE_TOO_LOW', failureDetail: expect.stringMatching(/^online \d+\.\d% of the exit period, at least 80.0% needed$/) });
    expect((await n.store.overlay.get(leaves!.identity.publicKey))!).toMatchObject({ status: 'disqualified', disqualifiedReason: expect.stringContaining('ONLINE_SCORE_TOO_LOW') });
    const back = await n.startNode(leaves!.index);
    await drive(clock, 50, async () => (await back.db.exits.get(satelliteId))?.state !== 'exiting', 'the failed receipt', HOUR);
    expect((await back.exitFinished(satelliteId))!).toMatchObject({ state: 'failed', failureReason: 'ONLINE_SCORE_TOO_LOW' });

    // Same report: completed and failed, no bytes moved.
    const rows = await n.satellite.exits.report({ from: start, to: clock.now() + 1 });
    // (Both may finish at the same simulated instant: then the order is by node id.)
    expect(rows.map((r) => [r.policy, r.outcome, r.failureReason, r.bytesTransferred]).sort()).toEqual([
      ['time-based', 'completed', null, 0],
      ['time-based', 'failed', 'ONLINE_SCORE_TOO_LOW', 0],
    ]);

    // Repair moves what is needed (a piece of a node that has left frees its number), and with
    // both nodes gone every object is still whole.
    await n.stopNode(stays!.index);
    await n.stopNode(leaves!.index);
    await n.satellite.repair.checkOnce();
    expect(await n.satellite.repair.repairOnce()).toMatchObject({ failed: 0, irreparable: 0 });
    for (const segment of (await allSegments(n)).filter((s) => s.pieces.length > 0)) {
      const live = (await n.store.overlay.getMany(segment.pieces.map((p) => p.nodeId))).filter((node) => node.status === 'active');
      expect(live.length).toBeGreaterThanOrEqual(RS.success);
    }
    for (const { key, data } of objects) expect(Buffer.from(await uplink.download('bucket', key)).equals(data)).toBe(true);
  }, 120_000);

  it('a node of the first version, which asks with the first Process call, exits by transfer: it could not read ONLINE_SCORE_TOO_LOW', async () => {
    const n = (network = await ExitNetwork.start({ transport: 'memory', nodes: 6, exit: { policy: 'time-based' } }));
    const old = n.nodes[0]!;
    const client = new RpcClient({ transport: n.transport('old-node'), address: n.satellite.address, identity: old.identity, expectedPeer: n.satellite.id });
    try {
      const stream = await client.stream(GracefulExitProcess);
      expect(await stream.receive()).toMatchObject({ type: 'notReady' });
      stream.cancel();
    } finally {
      await client.close();
    }
    expect(await n.satellite.exits.status(old.identity.publicKey)).toMatchObject({ kind: 'full', policy: 'transfer' });
    // A node that asks with Initiate gets the satellite's policy.
    expect((await n.nodes[1]!.node!.exitSatellite(n.satellite.id.bytes)).policy).toBe('time-based');
  });
});
