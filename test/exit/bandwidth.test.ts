/**
 * The bandwidth budget (seed 001, non-MVP): a node with a monthly bandwidth allocation that cannot
 * cover an exit is asked to choose — exceed the allocation, or wait for it to renew. Waiting, the
 * worker transfers what fits, pauses with keep-alives the satellite counts as activity (so the
 * exit is never failed as inactive), and goes on when the month turns. On a simulated clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { GracefulExitInitiate, GracefulExitKeepAlive } from '../../src/exit/messages.js';
import { RpcClient } from '../../src/rpc/client.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { ExitNetwork, type ExitNodeHandle } from './harness.js';

const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Chores that stay out of the way: the test drives what matters itself. */
const QUIET = { repair: { checkIntervalMs: 20 * DAY, repairIntervalMs: 20 * DAY }, gc: { intervalMs: 20 * DAY }, contact: { intervalMs: 20 * DAY }, cleanupIntervalMs: 20 * DAY };

let network: ExitNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

/** Moves `clock` forward `stepMs` at a time, letting the network work between steps, until `condition` holds. */
async function drive(clock: ManualClock, stepMs: number, condition: () => Promise<boolean> | boolean, what: string, maxMs = 10 * DAY): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let moved = 0; ; moved += stepMs) {
    if (await condition()) return;
    if (moved > maxMs || Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function byHand(n: ExitNetwork, handle: ExitNodeHandle): RpcClient {
  return new RpcClient({ transport: n.transport(`by-hand-${handle.index}`), address: n.satellite.address, identity: handle.identity, expectedPeer: n.satellite.id });
}

describe('an exit within a monthly bandwidth allocation', () => {
  it('asks for a choice when the allocation falls short; waiting, it transfers what fits, keeps the exit alive while paused, and finishes when the month turns', async () => {
    const T0 = Date.UTC(2027, 0, 31, 18, 0); // six hours before February
    const clock = new ManualClock(T0);
    let allocation: number | undefined;
    const n = (network = await ExitNetwork.start({
      transport: 'memory',
      nodes: 8,
      redundancy: NO_SPARE,
      clock,
      exit: { inactiveTimeframeMs: 3 * HOUR },
      worker: { keepAliveIntervalMs: HOUR },
      satellite: QUIET,
      node: () => (allocation === undefined ? {} : { bandwidthAllocation: allocation }),
    }));
    const uplink = await n.uplink();
    await uplink.createBucket('bucket');
    await uplink.upload('bucket', 'a', patterned(6 * TEST_SEGMENT_SIZE, 51));
    await uplink.upload('bucket', 'b', patterned(5 * TEST_SEGMENT_SIZE + 7, 52));
    const [leaving, neglected] = [...n.nodes].sort((a, b) => b.pieces.usedBytes() - a.pieces.usedBytes()) as [ExitNodeHandle, ExitNodeHandle];
    const satelliteId = n.satellite.id.bytes;
    const held = leaving.pieces.usedBytes(satelliteId);
    // What the node used this month: what it received (the uploads' orders), and any audit it served.
    const received = leaving.db.bandwidthUsage(clock.now()).filter((u) => u.action === 'PUT').reduce((sum, u) => sum + u.bytes, 0);
    expect(received).toBe(held);
    const used = leaving.db.bandwidthUsed(clock.now());
    allocation = used + Math.floor(held / 2);
    const node = await n.restartNode(leaving.index);
    expect(node.bandwidth()).toMatchObject({ allocationBytes: allocation, usedBytes: used, remainingBytes: Math.floor(held / 2), period: { end: Date.UTC(2027, 1, 1) } });

    // Not enough left: the caller must choose, and nothing starts until it does.
    await expect(node.exitSatellite(satelliteId)).rejects.toMatchObject({
      name: 'BandwidthChoiceRequiredError',
      code: 'FailedPrecondition',
      neededBytes: held,
      remainingBytes: Math.floor(held / 2),
      allocationBytes: allocation,
      renewsAt: Date.UTC(2027, 1, 1),
    });
    expect(await n.satellite.exits.status(leaving.identity.publicKey)).toBeUndefined();

    // A control: an exit started and then neglected (no worker, no keep-alive).
    const client = byHand(n, neglected);
    await client.call(GracefulExitInitiate, { kind: 'full' });

    const sent = (at: number) => node.db.bandwidthUsage(at).filter((u) => u.action === 'GRACEFUL_EXIT_SENT').reduce((sum, u) => sum + u.bytes, 0);
    const left = node.bandwidth().remainingBytes!;
    const started = await node.exitSatellite(satelliteId, { bandwidth: 'wait' });
    expect(started).toMatchObject({ bandwidth: 'wait', state: 'exiting' });
    await drive(clock, 50, () => node.exitPhase(satelliteId) === 'paused', 'the worker to pause', HOUR);
    const paused = (await node.exitStatuses())[0]!;
    expect(paused.piecesTransferred).toBeGreaterThan(0);
    expect(paused.bytesTransferred).toBeLessThan(held);
    // It never sent past what the allocation had left.
    expect(sent(T0)).toBeGreaterThan(0);
    expect(sent(T0)).toBeLessThanOrEqual(left);

    // Hours pass, paused: the keep-alives count as activity, so only the neglected exit fails.
    const pausedAt = clock.now();
    await drive(clock, 10 * 60_000, () => clock.now() >= pausedAt + 4 * HOUR - 60 * 60_000, 'hours to pass', 5 * HOUR);
    await n.satellite.exits.checkInactive();
    const record = (await n.satellite.exits.status(leaving.identity.publicKey))!;
    expect(record.finishedAt).toBeNull();
    expect(record.lastActivityAt).toBeGreaterThan(pausedAt + 2 * HOUR);
    expect((await n.satellite.exits.status(neglected.identity.publicKey))!.failureReason).toBe('INACTIVE_TIMEFRAME_EXCEEDED');
    expect(node.exitPhase(satelliteId)).toBe('paused');
    // Nothing was sent meanwhile.
    expect((await node.exitStatuses())[0]!.bytesTransferred).toBe(paused.bytesTransferred);

    // February: the allocation renews and the exit goes on to the end.
    await drive(clock, 10 * 60_000, () => clock.now() >= Date.UTC(2027, 1, 1), 'the month to turn', 5 * HOUR);
    await drive(clock, 50, async () => (await node.exitStatuses())[0]?.state !== 'exiting', 'the exit to finish', 2 * HOUR);
    const status = (await node.db.exits.get(satelliteId))!;
    expect(status.state).toBe('completed');
    expect(leaving.pieces.usedBytes(satelliteId)).toBe(0);
    expect(sent(T0)).toBeLessThanOrEqual(left);
    expect(sent(clock.now())).toBeGreaterThan(0);
    expect(sent(T0) + sent(clock.now())).toBeGreaterThanOrEqual(status.bytesTransferred);

    // A keep-alive for an exit that is over says so (a paused node then connects for its receipt).
    expect(await client.call(GracefulExitKeepAlive, {})).toEqual({ finished: true });
    await client.close();
  }, 60_000);

  it('exceeding: the exit goes on past the allocation; an exit that fits needs no choice', async () => {
    const n = (network = await ExitNetwork.start({ transport: 'memory', nodes: 7, node: (i) => ({ bandwidthAllocation: i === 0 ? 1 : 1e12 }) }));
    const uplink = await n.uplink();
    await uplink.createBucket('bucket');
    await uplink.upload('bucket', 'a', patterned(4 * TEST_SEGMENT_SIZE, 53));
    const satelliteId = n.satellite.id.bytes;
    const [tight, roomy] = [n.nodes[0]!, n.nodes[1]!];
    expect(tight.pieces.usedBytes(satelliteId)).toBeGreaterThan(0);
    await expect(tight.node!.exitSatellite(satelliteId)).rejects.toMatchObject({ name: 'BandwidthChoiceRequiredError' });
    await expect(tight.node!.exitPartially(satelliteId, 10)).rejects.toMatchObject({ name: 'BandwidthChoiceRequiredError', neededBytes: 10 });
    expect((await tight.node!.exitSatellite(satelliteId, { bandwidth: 'exceed' })).bandwidth).toBe('exceed');
    expect((await tight.node!.exitFinished(satelliteId))!.state).toBe('completed');
    expect(tight.node!.bandwidth().usedBytes).toBeGreaterThan(1);

    expect((await roomy.node!.exitSatellite(satelliteId)).bandwidth).toBeNull();
    expect((await roomy.node!.exitFinished(satelliteId))!.state).toBe('completed');
  });
});
