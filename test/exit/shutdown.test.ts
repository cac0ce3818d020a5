/**
 * Automatic shutdown (seed 001, non-MVP): a node that has exited every satellite it serves stops
 * by itself when asked to, so its operator need not watch for it; `stopped` tells the host why,
 * and the host ends the process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Ping } from '../../src/durability/contact/methods.js';
import { Identity } from '../../src/crypto/identity.js';
import { RpcClient } from '../../src/rpc/client.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { ExitNetwork, type ExitNodeHandle } from './harness.js';

let network: ExitNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

/** True when `handle`'s node answers a ping on its address. */
async function answers(n: ExitNetwork, handle: ExitNodeHandle, address: string): Promise<boolean> {
  const client = new RpcClient({ transport: n.transport('pinger'), address, identity: Identity.generate(), expectedPeer: handle.identity.id, maxIdleConnections: 0 });
  try {
    await client.call(Ping, {}, { timeoutMs: 2_000 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}

const settled = <T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

describe('shutdown after exits', () => {
  it('stops the node once it has exited every satellite it serves — not after a partial exit, not while another satellite is still served', async () => {
    const n = (network = await ExitNetwork.start({ transport: 'memory', nodes: 7, node: () => ({ shutdownAfterExits: true }) }));
    const uplink = await n.uplink();
    await uplink.createBucket('bucket');
    await uplink.upload('bucket', 'x', patterned(4 * TEST_SEGMENT_SIZE, 31));
    const leaving = n.busiest();
    const satelliteId = n.satellite.id.bytes;
    let node = leaving.node!;
    const address = node.address;

    // A partial exit leaves the node serving the satellite: it keeps running.
    await node.exitPartially(satelliteId, 1);
    expect((await node.exitFinished(satelliteId))!.state).toBe('completed');
    expect(await settled(node.stopped, 100)).toBe('pending');

    // Serving a second satellite, a full exit from the first is not the end either.
    const other = Identity.generate();
    leaving.db.trustSatellite({ id: other.publicKey, address: 'elsewhere:7777', addedAt: Date.now() });
    await node.exitSatellite(satelliteId);
    expect((await node.exitFinished(satelliteId))!.state).toBe('completed');
    expect(await settled(node.stopped, 100)).toBe('pending');
    expect(await answers(n, leaving, address)).toBe(true);

    // Once it no longer serves the other one, the next start finds every satellite exited and stops.
    await n.stopNode(leaving.index);
    expect(await node.stopped).toEqual({ reason: 'closed' });
    leaving.db.untrustSatellite(other.publicKey);
    node = await n.startNode(leaving.index);
    expect(await node.stopped).toEqual({ reason: 'exited' });
    expect(await answers(n, leaving, node.address)).toBe(false);
  });

  it('stops right after the last exit finishes; without the option a node that exited keeps running', async () => {
    const n = (network = await ExitNetwork.start({ transport: 'memory', nodes: 7, node: (i) => ({ shutdownAfterExits: i === 0 }) }));
    const uplink = await n.uplink();
    await uplink.createBucket('bucket');
    await uplink.upload('bucket', 'x', patterned(4 * TEST_SEGMENT_SIZE, 32));
    const satelliteId = n.satellite.id.bytes;
    const [auto, manual] = [n.nodes[0]!, n.nodes[1]!];
    await auto.node!.exitSatellite(satelliteId);
    await manual.node!.exitSatellite(satelliteId);
    expect(await auto.node!.stopped).toEqual({ reason: 'exited' });
    expect((await auto.db.exits.get(satelliteId))!).toMatchObject({ state: 'completed', wiped: true });
    expect((await manual.node!.exitFinished(satelliteId))!.state).toBe('completed');
    expect(await settled(manual.node!.stopped, 100)).toBe('pending');
    expect(await answers(n, manual, manual.node!.address)).toBe(true);
  });
});
