/**
 * The admin endpoints of a running storage node and satellite: on loopback apart from the public
 * port, found through a file beside the identity, serving the party's own identity and refusing
 * everyone else — here driven in one process; test/cli drives them as an operator would.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminEndpoint } from '../../src/admin/endpoint.js';
import { adminAddressFile } from '../../src/admin/address-file.js';
import { Identity } from '../../src/crypto/identity.js';
import { NodeAdminClient } from '../../src/node/admin/client.js';
import { ExitProgressFeed, startNodeAdmin } from '../../src/node/admin/index.js';
import { NodeAdminListSatellites } from '../../src/node/admin/methods.js';
import { SatelliteAdminClient, SatelliteAdminExits, startSatelliteAdmin } from '../../src/satellite/admin/index.js';
import { RpcClient } from '../../src/rpc/client.js';
import { createTestNetwork, type TestNetwork } from '../../src/testing/network.js';
import { tcpTransport } from '../../src/transport/tcp.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-admin-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function network(): Promise<TestNetwork> {
  const net = await createTestNetwork({ nodes: 6, redundancy: { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 }, satellite: { exit: { notReadyRetryMs: 10 } }, nodeExit: { minBackoffMs: 10 } });
  cleanups.push(() => net.close());
  return net;
}

describe('an admin endpoint', () => {
  it('listens on loopback only, writes its address beside the identity and removes it on close', async () => {
    const dir = tempDir();
    const identity = Identity.generate();
    const addressFile = adminAddressFile(join(dir, 'identity.pem'));
    expect(addressFile).toBe(join(dir, 'identity.admin.json'));
    await expect(AdminEndpoint.start({ identity, addressFile, address: '0.0.0.0:0', register: () => {} })).rejects.toThrow(/loopback only/);
    const endpoint = await AdminEndpoint.start({ identity, addressFile, register: () => {} });
    const record = JSON.parse(readFileSync(addressFile, 'utf8'));
    expect(record).toMatchObject({ address: endpoint.address, nodeId: identity.id.toString(), pid: process.pid });
    expect(endpoint.address).toMatch(/^127\.0\.0\.1:\d+$/);
    await endpoint.close();
    expect(existsSync(addressFile)).toBe(false);
  });

  it("serves the storage node's own identity and refuses a stranger with PermissionDenied", async () => {
    const net = await network();
    const node = net.nodes[0]!;
    const addressFile = join(tempDir(), 'identity.admin.json');
    const admin = await startNodeAdmin({ node, progress: new ExitProgressFeed(), addressFile });
    cleanups.push(() => admin.close());

    const stranger = new RpcClient({ transport: tcpTransport(), address: admin.address, identity: Identity.generate() });
    cleanups.push(() => stranger.close());
    await expect(stranger.call(NodeAdminListSatellites, {})).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    // Not even the satellite the node serves may call it.
    const satellite = new RpcClient({ transport: tcpTransport(), address: admin.address, identity: net.satellite.identity });
    cleanups.push(() => satellite.close());
    await expect(satellite.call(NodeAdminListSatellites, {})).rejects.toMatchObject({ name: 'PermissionDeniedError' });

    const client = NodeAdminClient.connect({ identity: node.identity, addressFile, what: 'the node' });
    cleanups.push(() => client.close());
    const [listed] = await client.listSatellites();
    expect(listed).toMatchObject({ address: net.satellite.address, exit: null });
    expect(listed!.id).toEqual(net.satellite.id.bytes);
  });

  it('starts an exit, reports its status and streams it until it ends', async () => {
    const net = await network();
    const uplink = await net.uplink();
    await uplink.createBucket('photos');
    await uplink.upload('photos', 'beach.jpg', new Uint8Array(40_000).fill(3));
    const node = net.nodes.find((n) => n.storage.usedBytes() > 0)!;
    const progress = new ExitProgressFeed();
    const addressFile = join(tempDir(), 'identity.admin.json');
    const admin = await startNodeAdmin({ node, progress, addressFile });
    cleanups.push(() => admin.close());
    const client = NodeAdminClient.connect({ identity: node.identity, addressFile, what: 'the node' });
    cleanups.push(() => client.close());

    const satelliteId = net.satellite.id.bytes;
    const [started] = await client.startExit({ satelliteId });
    expect(started).toMatchObject({ error: null, status: { state: 'exiting', satelliteAddress: net.satellite.address } });
    // "all" takes in the exit if still in progress (the call is idempotent) and starts nothing more.
    const all = await client.startExit('all');
    expect(all.length).toBeLessThanOrEqual(1);
    for (const result of all) expect(result).toMatchObject({ satelliteId, error: null });

    const seen: string[] = [];
    const watching = (async () => {
      for await (const status of client.watchExits([satelliteId])) seen.push(status.state);
    })();
    const finished = await node.exitFinished(satelliteId);
    progress.publish(finished!); // what the node's onExitProgress does in `handoff node run`
    await watching;
    expect(seen.at(-1)).toBe('completed');

    const [status] = await client.exitStatus();
    expect(status).toMatchObject({ state: 'completed', percent: 100, failureReason: null, wiped: true });
    expect(status!.piecesTransferred).toBeGreaterThan(0);
    expect(status!.receipt).toBeInstanceOf(Uint8Array);
  });

  it("serves the satellite's exits and payout report to the satellite only", async () => {
    const net = await network();
    const addressFile = join(tempDir(), 'satellite.admin.json');
    const admin = await startSatelliteAdmin({ satellite: net.satellite, addressFile });
    cleanups.push(() => admin.close());
    const stranger = new RpcClient({ transport: tcpTransport(), address: admin.address, identity: net.nodes[0]!.identity });
    cleanups.push(() => stranger.close());
    await expect(stranger.call(SatelliteAdminExits, {})).rejects.toMatchObject({ name: 'PermissionDeniedError' });

    const node = net.nodes[0]!;
    await node.exitSatellite(net.satellite.id.bytes);
    await node.exitFinished(net.satellite.id.bytes);
    const client = SatelliteAdminClient.connect({ identity: net.satellite.identity, addressFile, what: 'the satellite' });
    cleanups.push(() => client.close());
    expect(await client.exits()).toEqual([]);
    const rows = await client.exitReport({ from: 0, to: Date.now() + 1000 });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'completed', nodeId: node.identity.publicKey });
    await expect(client.exitReport({ from: 10, to: 10 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });
});
