/**
 * The satellite and storage nodes composed as a host would (Satellite.start, StorageNode.start),
 * over the memory transport and over TCP: nodes check in, pieces are uploaded under order
 * limits and committed with the nodes' receipts, downloaded under GET limits, orders settle,
 * and deleting the object deletes the pieces on the nodes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { concatBytes, equalBytes } from '../../src/core/bytes.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { Identity } from '../../src/crypto/identity.js';
import * as M from '../../src/metainfo/methods.js';
import { pieceSizeFor } from '../../src/metainfo/redundancy.js';
import { StorageNode } from '../../src/node/index.js';
import { NodeDatabase } from '../../src/node/sqlite.js';
import { pieceSigner } from '../../src/orders/piece-key.js';
import { summarizeBandwidth } from '../../src/orders/ledger/index.js';
import { deletePiece, downloadPiece, MemoryPieceStore, uploadPiece } from '../../src/piecestore/index.js';
import { Satellite, openSatelliteStore } from '../../src/satellite/index.js';
import { RpcClient, memoryNetwork, tcpTransport, type Transport } from '../../src/transport/index.js';
import { NodeId } from '../../src/crypto/node-id.js';

const encryption = { cipherSuite: 'aes-256-gcm', blockSize: 65536 };
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function startNetwork(kind: 'memory' | 'tcp', nodeCount = 10) {
  const net = memoryNetwork();
  const transportFor = (host: string): Transport => (kind === 'memory' ? net.transport({ host }) : tcpTransport());
  const address = (host: string) => (kind === 'memory' ? `${host}:0` : '127.0.0.1:0');
  const store = await openSatelliteStore({ kind: 'memory' });
  const satellite = await Satellite.start({ transport: transportFor('satellite'), address: address('satellite'), store });
  stops.push(async () => {
    await satellite.close();
    await store.close();
  });
  const nodes: StorageNode[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const db = await NodeDatabase.open({ path: ':memory:' });
    const node = await StorageNode.start({
      transport: transportFor(`node-${i}`),
      address: address(`node-${i}`),
      satellites: [{ id: satellite.id, address: satellite.address }],
      storage: new MemoryPieceStore(),
      db,
      wallet: `0x${i}`,
      capacity: 2 ** 30,
    });
    nodes.push(node);
    stops.push(async () => {
      await node.close();
      db.close();
    });
  }
  const { apiKey } = await satellite.createProject('demo');
  const uplinkTransport = transportFor('uplink');
  const identity = Identity.generate();
  const client = new RpcClient({ transport: uplinkTransport, address: satellite.address, expectedPeer: satellite.id, identity });
  const nodeClients = new Map<string, RpcClient>();
  const nodeClient = (address: string, nodeId: Uint8Array) => {
    let c = nodeClients.get(address);
    if (!c) nodeClients.set(address, (c = new RpcClient({ transport: uplinkTransport, address, expectedPeer: NodeId.fromPublicKey(nodeId), identity })));
    return c;
  };
  stops.push(async () => {
    await client.close();
    for (const c of nodeClients.values()) await c.close();
  });
  return { net, satellite, store, nodes, client, header: { apiKey }, nodeClient };
}

describe.each(['memory', 'tcp'] as const)('a satellite and ten storage nodes over %s', (kind) => {
  it('stores a segment\'s pieces on distinct nodes, serves them back, settles the orders and deletes the pieces', async () => {
    const { satellite, store, nodes, client, header, nodeClient } = await startNetwork(kind);
    expect((await store.overlay.selectForUpload({ count: 20, minFreeBytes: 0, onlineWindowMs: 3600_000, now: Date.now() })).length).toBe(10);
    await client.call(M.CreateBucket, { header, name: 'photos' });

    const encryptedSize = 64 * 1024;
    const start = await client.call(M.StartStreamAndStartSegment, {
      header, bucket: 'photos', encryptedKey: new Uint8Array([1, 2, 3]), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: encryptedSize, encryption,
    });
    const { segment } = start;
    const pieceSize = pieceSizeFor(encryptedSize, segment.redundancy);
    const pieceKey = pieceSigner(segment.piecePrivateKey);
    const pieces = new Map<number, Uint8Array>();
    const uploaded = await Promise.all(
      segment.addressedLimits.map(async ({ limit, address, pieceNumber }) => {
        const data = getCryptoProvider().randomBytes(pieceSize);
        pieces.set(pieceNumber, data);
        const hash = await uploadPiece(nodeClient(address, limit.storageNodeId), { limit, pieceKey, data });
        return { pieceNumber, nodeId: limit.storageNodeId, hash };
      }),
    );
    expect(new Set(uploaded.map((p) => Buffer.from(p.nodeId).toString('hex'))).size).toBe(segment.redundancy.total);
    const { object } = await client.call(M.CommitSegmentAndCommitStream, {
      header, streamUploadId: start.streamUploadId,
      commit: { segmentUploadId: segment.segmentUploadId, encryptedKey: new Uint8Array(48), encryptedKeyNonce: new Uint8Array(24), plainSize: encryptedSize - 100, encryptedSize, pieces: uploaded },
    });
    expect(object.segmentCount).toBe(1);

    const { segments } = await client.call(M.DownloadObject, { header, bucket: 'photos', encryptedKey: new Uint8Array([1, 2, 3]) });
    const first = segments[0]!;
    expect(first.limits).toHaveLength(segment.redundancy.total);
    const downloadKey = pieceSigner(first.piecePrivateKey!);
    for (const { limit, address, pieceNumber } of first.limits!.slice(0, first.redundancy!.required)) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of downloadPiece(nodeClient(address, limit.storageNodeId), { limit, pieceKey: downloadKey, offset: 0, length: pieceSize })) chunks.push(chunk);
      expect(equalBytes(concatBytes(...chunks), pieces.get(pieceNumber)!)).toBe(true);
    }

    const settled = (await Promise.all(nodes.map((n) => n.settleOrders()))).reduce((a, b) => a + b, 0);
    expect(settled).toBe(segment.redundancy.total + segment.redundancy.required);
    const totals = summarizeBandwidth(await store.ledger.bandwidth({ from: 0, to: Date.now() + 3600_000 }));
    const paid = [...totals.values()].reduce((sum, t) => sum + t.byCategory.paid, 0);
    expect(paid).toBe(pieceSize * (segment.redundancy.total + segment.redundancy.required));

    await client.call(M.DeleteObject, { header, bucket: 'photos', encryptedKey: new Uint8Array([1, 2, 3]) });
    await satellite.settleDeletes();
    const left = nodes.reduce((sum, n) => sum + n.storage.usedBytes(), 0);
    expect(left).toBe(0);
  });

  it('a node refuses a limit from a satellite it does not trust, and one meant for another node', async () => {
    const { client, header, nodeClient } = await startNetwork(kind, 8);
    await client.call(M.CreateBucket, { header, name: 'photos' });
    const start = await client.call(M.StartStreamAndStartSegment, {
      header, bucket: 'photos', encryptedKey: new Uint8Array([9]), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1024, encryption,
    });
    const [a, b] = start.segment.addressedLimits;
    const pieceKey = pieceSigner(start.segment.piecePrivateKey);
    // A's limit presented to B.
    await expect(uploadPiece(nodeClient(b!.address, b!.limit.storageNodeId), { limit: a!.limit, pieceKey, data: new Uint8Array(256) })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    // A limit signed by a stranger claiming to be a satellite.
    const rogue = Identity.generate();
    const { signOrderLimit } = await import('../../src/orders/order-limit.js');
    const forged = signOrderLimit(rogue, { ...a!.limit, satelliteId: rogue.publicKey });
    await expect(uploadPiece(nodeClient(a!.address, a!.limit.storageNodeId), { limit: forged, pieceKey, data: new Uint8Array(256) })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await expect(deletePiece(nodeClient(a!.address, a!.limit.storageNodeId), { ...a!.limit, action: 'DELETE' })).rejects.toMatchObject({ name: 'UnauthenticatedError' });
  });
});
