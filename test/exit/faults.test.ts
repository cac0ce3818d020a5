/**
 * Graceful exit when parties fail: the exiting node dies mid-transfer, the satellite dies
 * mid-stream, a replacement node is offline or signs its receipts wrongly. Every story ends with
 * the exit completed and the three invariants (test/exit/checks.ts) holding.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/core/bytes.js';
import { Identity } from '../../src/crypto/identity.js';
import { NodeDatabase } from '../../src/node/db/database.js';
import { NODE_VERSION } from '../../src/node/storage-node.js';
import { CheckIn } from '../../src/overlay/checkin.js';
import { registerPiecestore } from '../../src/piecestore/service.js';
import { MemoryPieceStore } from '../../src/piecestore/memory-store.js';
import { RpcClient } from '../../src/rpc/client.js';
import { RpcServer } from '../../src/rpc/server.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { StorageTaps, eventually, expectInvariants, pieceDigests, piecesOn, type StoryObject } from './checks.js';
import { ExitNetwork, type ExitNetworkOptions, type ExitNodeHandle } from './harness.js';

/** Every piece is needed (success = total): each of the exiting node's pieces must be transferred. */
const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;

const OBJECTS: StoryObject[] = [
  { key: 'small', data: patterned(3_000, 21) },
  { key: 'several', data: patterned(3 * TEST_SEGMENT_SIZE + 777, 22) },
  { key: 'nested/deep/file', data: patterned(2 * TEST_SEGMENT_SIZE, 23) },
];

let network: ExitNetwork | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await network?.close();
  network = undefined;
});

/** A network holding OBJECTS, with taps on every node's storage and each piece's bytes noted. */
async function story(transport: 'memory' | 'tcp', options: Omit<ExitNetworkOptions, 'transport' | 'wrapStorage'>) {
  const taps = new StorageTaps();
  network = await ExitNetwork.start({ transport, redundancy: NO_SPARE, wrapStorage: taps.wrap, ...options });
  const uplink = await network.uplink();
  await uplink.createBucket('bucket');
  for (const { key, data } of OBJECTS) await uplink.upload('bucket', key, data);
  return { network, taps, uplink, before: await pieceDigests(network), satelliteId: network.satellite.id.bytes };
}

function exitRecord(network: ExitNetwork, handle: ExitNodeHandle) {
  return network.store.exits.getExit(handle.identity.publicKey).then((r) => r!);
}

/**
 * A storage node whose software signs its upload receipts with the wrong key: it stores every
 * piece faithfully, but no receipt it returns verifies as its own.
 */
async function startMissigningNode(network: ExitNetwork, name: string): Promise<Uint8Array> {
  const identity = Identity.generate();
  const wrongKey = Identity.generate();
  const db = await NodeDatabase.open({ path: ':memory:' });
  const satellite = network.satellite;
  db.trustSatellite({ id: satellite.id.bytes, address: satellite.address, addedAt: Date.now() });
  const server = new RpcServer({ identity });
  registerPiecestore(server, {
    identity: { publicKey: identity.publicKey, sign: (message) => wrongKey.sign(message) },
    pieces: new MemoryPieceStore(),
    db,
    trusted: (id) => db.isTrusted(id),
  });
  const listener = await server.listen(network.transport(name), network.net ? `${name}:0` : '127.0.0.1:0');
  const client = new RpcClient({ transport: network.transport(name), address: satellite.address, identity, expectedPeer: satellite.id });
  await client.call(CheckIn, { address: listener.address, wallet: '0x00000000000000000000000000000000000000ff', freeBytes: 2 ** 40, version: NODE_VERSION });
  cleanups.push(async () => {
    await client.close();
    await server.close();
    db.close();
  });
  return identity.publicKey;
}

for (const transport of ['memory', 'tcp'] as const) {
  describe(`graceful exit faults over ${transport}`, () => {
    it('the exiting node dies mid-transfer: restarted, its worker resumes from its database and the exit completes', async () => {
      const { network, taps, uplink, before, satelliteId } = await story(transport, { nodes: 10 });
      const leaving = network.busiest();
      let reads = 0;
      // The first piece goes through; the next ones are caught reading when the node dies.
      const hold = taps.holdReads((index) => index === leaving.index && ++reads > 1);
      await leaving.node!.exitSatellite(satelliteId);
      await hold.held;
      await eventually('the first piece handed over', async () => (await exitRecord(network, leaving)).piecesTransferred >= 1);

      await network.stopNode(leaving.index);
      expect(hold.waiting).toBe(0); // the held reads were abandoned with the node
      hold.release();
      const midway = await exitRecord(network, leaving);
      expect(midway.finishedAt).toBeNull();
      expect(midway.piecesTransferred).toBeLessThan(midway.piecesQueued);

      const node = await network.restartNode(leaving.index);
      const status = (await node.exitFinished(satelliteId))!;
      expect(status.state).toBe('completed');
      expect(status.wiped).toBe(true);
      const record = await exitRecord(network, leaving);
      expect(record.outcome).toBe('completed');
      expect(record.piecesFailed).toBe(0);
      expect(await piecesOn(network, leaving.identity.publicKey)).toEqual([]);
      await expectInvariants(network, { exiting: leaving, uplink, bucket: 'bucket', objects: OBJECTS, before });
    });

    it('the satellite dies mid-stream: the shutdown leaves the exit unfinished, and after the restart it resumes and completes', async () => {
      const { network, taps, uplink, before, satelliteId } = await story(transport, { nodes: 10 });
      const leaving = network.busiest();
      const node = leaving.node!;
      let reads = 0;
      const hold = taps.holdReads((index) => index === leaving.index && ++reads > 1);
      await node.exitSatellite(satelliteId);
      await hold.held;
      await eventually('the first piece handed over', async () => (await exitRecord(network, leaving)).piecesTransferred >= 1);

      const errorsBefore = network.errors.length;
      await network.satellite.close();
      // A shutdown never finishes an exit: not completed, not failed, the node still exiting.
      const closed = await exitRecord(network, leaving);
      expect(closed.finishedAt).toBeNull();
      expect(closed.outcome).toBeNull();
      expect(closed.receipt).toBeNull();
      expect((await network.store.overlay.get(leaving.identity.publicKey))!.status).toBe('exiting');
      // Once the node has seen its stream go, the transfers it was making are let through: their
      // reports belong to a stream that is gone, and must never count.
      await eventually('the node noticing the satellite is gone', () => network.errors.slice(errorsBefore).some((e) => e.where === 'graceful exit stream'));
      hold.release();

      await network.startSatellite();
      const status = (await node.exitFinished(satelliteId))!;
      expect(status.state).toBe('completed');
      const record = await exitRecord(network, leaving);
      expect(record.outcome).toBe('completed');
      expect(record.piecesFailed).toBe(0);
      expect(await piecesOn(network, leaving.identity.publicKey)).toEqual([]);
      await expectInvariants(network, { exiting: leaving, uplink, bucket: 'bucket', objects: OBJECTS, before });
    });

    it('the replacement node is offline: the transfer fails STORAGE_NODE_UNAVAILABLE, is retried elsewhere, and never counts against the exiting node', async () => {
      // Five nodes for five pieces: every segment is on all of them, so the only replacement is the one added.
      const { network, uplink, before, satelliteId } = await story(transport, { nodes: 5 });
      const dead = await network.addNode();
      await network.stopNode(dead.index); // gone, though the satellite heard from it a moment ago
      const leaving = network.nodes[0]!;
      await leaving.node!.exitSatellite(satelliteId);

      const failed = await eventually('a transfer to the dead node failing', async () =>
        (await network.store.exits.nextItems(leaving.identity.publicKey, 1_000, [])).find((item) => item.lastFailedCode === 'STORAGE_NODE_UNAVAILABLE'),
      );
      expect(failed.failedCount).toBe(0);
      expect(failed.triedNodes.some((id) => equalBytes(id, dead.identity.publicKey))).toBe(true);
      const spare = await network.addNode();

      const status = (await leaving.node!.exitFinished(satelliteId))!;
      expect(status.state).toBe('completed');
      expect(status.piecesFailed).toBeGreaterThan(0); // the node reported the failures…
      const record = await exitRecord(network, leaving);
      expect(record.outcome).toBe('completed');
      expect(record.piecesFailed).toBe(0); // …and none counted against it
      expect(await piecesOn(network, dead.identity.publicKey)).toEqual([]);
      expect((await piecesOn(network, spare.identity.publicKey)).length).toBe(record.piecesTransferred);
      await expectInvariants(network, { exiting: leaving, uplink, bucket: 'bucket', objects: OBJECTS, before });
    });

    it('the replacement signs its receipt wrongly: the exiting node reports HASH_VERIFICATION and the piece goes elsewhere', async () => {
      const { network, uplink, before, satelliteId } = await story(transport, { nodes: 5 });
      const liar = await startMissigningNode(network, 'missigning');
      const leaving = network.nodes[0]!;
      await leaving.node!.exitSatellite(satelliteId);

      const failed = await eventually('a transfer to the missigning node failing', async () =>
        (await network.store.exits.nextItems(leaving.identity.publicKey, 1_000, [])).find((item) => item.lastFailedCode === 'HASH_VERIFICATION'),
      );
      expect(failed.triedNodes.some((id) => equalBytes(id, liar))).toBe(true);
      const spare = await network.addNode();

      const status = (await leaving.node!.exitFinished(satelliteId))!;
      expect(status.state).toBe('completed');
      const record = await exitRecord(network, leaving);
      expect(record.outcome).toBe('completed');
      expect(record.piecesFailed).toBe(0);
      // No segment names the node whose receipts do not verify.
      expect(await piecesOn(network, liar)).toEqual([]);
      expect((await piecesOn(network, spare.identity.publicKey)).length).toBe(record.piecesTransferred);
      await expectInvariants(network, { exiting: leaving, uplink, bucket: 'bucket', objects: OBJECTS, before });
    });
  });
}
