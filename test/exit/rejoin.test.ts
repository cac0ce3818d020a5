/**
 * Rejoining after a graceful exit (seed 001, non-MVP): a node that left a satellite gracefully
 * comes back with one call — same id, same join date and reputation, no vetting again — and is
 * selected for new pieces; the satellite records the rejoin and the node's escrow period starts
 * over from it. A node whose exit failed was disqualified: it is refused, told why.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/core/bytes.js';
import { GracefulExitInitiate, GracefulExitRejoin } from '../../src/exit/messages.js';
import { RpcClient } from '../../src/rpc/client.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { ExitNetwork, type ExitNodeHandle } from './harness.js';

const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;
const ONLINE_WINDOW_MS = 4 * 3_600_000;

let network: ExitNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

/** A client speaking for `handle` straight to the satellite (no worker behind it). */
function byHand(n: ExitNetwork, handle: ExitNodeHandle): RpcClient {
  return new RpcClient({ transport: n.transport(`by-hand-${handle.index}`), address: n.satellite.address, identity: handle.identity, expectedPeer: n.satellite.id });
}

describe('rejoining a satellite', () => {
  it('a node that completed its exit rejoins with one call: active and selected again with its id, join date and reputation; it may exit again, and its escrow restarts at the rejoin', async () => {
    const n = (network = await ExitNetwork.start({ transport: 'memory', nodes: 8, redundancy: NO_SPARE }));
    const uplink = await n.uplink();
    await uplink.createBucket('bucket');
    await uplink.upload('bucket', 'before', patterned(3 * TEST_SEGMENT_SIZE, 21));
    const leaving = n.busiest();
    const node = leaving.node!;
    const id = leaving.identity.publicKey;
    const satelliteId = n.satellite.id.bytes;
    await n.store.overlay.updateReputation(id, { kind: 'audit', success: true, lambda: 0.95, weight: 1, at: Date.now() });
    const before = (await n.store.overlay.get(id))!;

    await node.exitSatellite(satelliteId);
    expect((await node.exitFinished(satelliteId))!.state).toBe('completed');
    const selectable = async () => {
      const picked = await n.store.overlay.selectForUpload({ count: 8, minFreeBytes: 0, onlineWindowMs: ONLINE_WINDOW_MS, now: Date.now() });
      return picked.some((p) => equalBytes(p.id, id));
    };
    expect((await n.store.overlay.get(id))!.status).toBe('exited');
    expect(await selectable()).toBe(false);

    const { rejoinedAt } = await node.rejoinSatellite(satelliteId);
    const back = (await n.store.overlay.get(id))!;
    expect(back).toMatchObject({ status: 'active', rejoinedAt, joinedAt: before.joinedAt, auditAlpha: before.auditAlpha, auditSuccessCount: 1, exitFinishedAt: null });
    expect(await selectable()).toBe(true);
    // Both sides archived the exit: nothing stops a later one, and garbage collection serves the satellite again.
    expect(await n.satellite.exits.status(id)).toBeUndefined();
    expect((await n.store.exits.listExits({ nodeId: id })).map((e) => [e.outcome, e.archivedAt])).toEqual([['completed', rejoinedAt]]);
    expect(await node.exitStatuses()).toEqual([]);
    expect((await node.exitHistory(satelliteId)).map((h) => h.state)).toEqual(['completed']);
    // Asking again changes nothing and says when.
    expect(await node.rejoinSatellite(satelliteId)).toEqual({ rejoinedAt });

    // Back in service: it takes new pieces, and later leaves again.
    await uplink.upload('bucket', 'after', patterned(6 * TEST_SEGMENT_SIZE, 22));
    await node.exitSatellite(satelliteId);
    expect((await node.exitFinished(satelliteId))!.state).toBe('completed');
    const rows = await n.satellite.exits.report({ from: 0, to: Date.now() + 1 });
    expect(rows.map((r) => [r.outcome, r.escrowStartedAt])).toEqual([['completed', before.joinedAt], ['completed', rejoinedAt]]);
    for (const key of ['before', 'after']) expect((await uplink.download('bucket', key)).length).toBeGreaterThan(0);
  });

  it('a node whose exit failed was disqualified: its rejoin is refused, naming why, and nothing changes', async () => {
    const n = (network = await ExitNetwork.start({ transport: 'memory', nodes: 6, exit: { inactiveTimeframeMs: 30 } }));
    const handle = n.nodes[0]!;
    const id = handle.identity.publicKey;
    // Started by hand and then neglected (no worker): the inactivity rule fails it.
    const client = byHand(n, handle);
    try {
      await client.call(GracefulExitInitiate, { kind: 'full' });
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await n.satellite.exits.checkInactive()).toBe(1);
      const dq = (await n.store.overlay.get(id))!;
      expect(dq.status).toBe('disqualified');

      await expect(handle.node!.rejoinSatellite(n.satellite.id.bytes)).rejects.toMatchObject({
        name: 'PermissionDeniedError',
        message: expect.stringMatching(/cannot rejoin: graceful exit failed: INACTIVE_TIMEFRAME_EXCEEDED/),
      });
      expect(await n.store.overlay.get(id)).toEqual(dq);
      expect((await n.satellite.exits.status(id))!.archivedAt).toBeNull();
    } finally {
      await client.close();
    }
  });

  it('refuses a node that never exited, one still exiting, and one whose exit the node has not seen finish', async () => {
    const n = (network = await ExitNetwork.start({ transport: 'memory', nodes: 6 }));
    const [stays, exiting] = [n.nodes[0]!, n.nodes[1]!];
    const satelliteId = n.satellite.id.bytes;
    await expect(stays.node!.rejoinSatellite(satelliteId)).rejects.toMatchObject({ name: 'FailedPreconditionError', message: expect.stringContaining('has not exited') });
    const client = byHand(n, exiting);
    try {
      await client.call(GracefulExitInitiate, { kind: 'full' });
      await expect(client.call(GracefulExitRejoin, {})).rejects.toMatchObject({ name: 'FailedPreconditionError', message: expect.stringContaining('still exiting') });
    } finally {
      await client.close();
    }
    // The node's own exit, not yet finished here: it does not even ask.
    const started = await stays.node!.exitSatellite(satelliteId);
    expect(started.state).toBe('exiting');
    await stays.node!.close(); // its worker stops; the exit stays in progress
    await expect(stays.node!.rejoinSatellite(satelliteId)).rejects.toMatchObject({ name: 'FailedPreconditionError', message: expect.stringContaining('still in progress') });
    expect((await n.store.overlay.get(stays.identity.publicKey))!.status).toBe('exiting');
  });
});
