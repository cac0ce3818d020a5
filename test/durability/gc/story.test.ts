/**
 * Garbage collection, the whole story over a real network (memory, and TCP with piece files):
 * after deletes a node missed, stray pieces, moves and copies, one run trashes every orphan and
 * never a live piece — every object still downloads byte-identical — the trash can be restored
 * and is deleted for good after its retention; a copy made behind the iteration's cursor while
 * its source is deleted ahead of it loses nothing; and only a trusted satellite may ask.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../../src/core/bytes.js';
import { Identity } from '../../../src/crypto/identity.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { GarbageCollector } from '../../../src/durability/gc/service.js';
import { PiecestoreRetain } from '../../../src/durability/gc/messages.js';
import { BloomFilter } from '../../../src/durability/gc/bloom-filter.js';
import type { GcMetabase } from '../../../src/durability/gc/filters.js';
import type { SegmentCursor } from '../../../src/metainfo/metabase/types.js';
import { StorageNode } from '../../../src/node/storage-node.js';
import { signOrderLimit } from '../../../src/orders/order-limit.js';
import { signPieceHash } from '../../../src/orders/piece-hash.js';
import { derivePieceId } from '../../../src/orders/piece-id.js';
import { hasTrash, type PieceStore } from '../../../src/piecestore/store.js';
import { RpcClient } from '../../../src/rpc/client.js';
import { createTestNetwork, TEST_SEGMENT_SIZE, type TestNetwork } from '../../../src/testing/network.js';
import { tcpTransport } from '../../../src/transport/tcp.js';
import type { Transport } from '../../../src/transport/types.js';
import type { Uplink } from '../../../src/uplink/uplink.js';
import { patterned } from '../../uplink/support/bytes.js';

const random = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let network: TestNetwork | undefined;
const restarted: StorageNode[] = [];
afterEach(async () => {
  for (const node of restarted.splice(0)) await node.close();
  await network?.close();
  network = undefined;
});

type Setup = { readonly transport: 'memory' | 'tcp'; readonly storage: 'memory' | 'sqlite' };

async function start(setup: Setup, nodes = 6): Promise<TestNetwork> {
  network = await createTestNetwork({
    ...setup,
    nodes,
    // Collect what is orphaned at once (no clock-skew margin), with filters that almost never keep garbage.
    nodeGc: { timeSkewMs: 0 },
    satellite: { gc: { falsePositiveRate: 0.000_001 } },
  });
  return network;
}

/** Stops a node as if its process died, and later starts it again on the same disk and database. */
async function restartLater(network: TestNetwork, index: number): Promise<() => Promise<StorageNode>> {
  const old = network.nodes[index]!;
  await old.close();
  return async () => {
    const again = await StorageNode.start({
      // Back on the same address: a check-in soon after the last one does not move a node's address.
      transport: network.net ? network.net.transport({ host: `node-${index}` }) : tcpTransport(),
      address: old.address,
      identity: old.identity,
      satellites: [{ id: network.satellite.id, address: network.satellite.address }],
      storage: old.storage,
      db: old.db,
      wallet: '0x0',
      capacity: 2 ** 40,
      gc: { timeSkewMs: 0 },
    });
    restarted.push(again);
    return again;
  };
}

/** Piece ids (hex) each node must keep: the derived ids of every piece of every segment. */
async function liveByNode(network: TestNetwork): Promise<Map<string, Set<string>>> {
  const live = new Map<string, Set<string>>();
  let cursor: SegmentCursor | undefined;
  for (;;) {
    const page = await network.satellite.store.metabase.iterateSegments({ cursor, limit: 100 });
    for (const segment of page) {
      for (const piece of segment.pieces) {
        const key = toHex(piece.nodeId);
        if (!live.has(key)) live.set(key, new Set());
        live.get(key)!.add(toHex(derivePieceId(segment.rootPieceId, piece.nodeId, piece.number)));
      }
    }
    if (page.length < 100) return live;
    const last = page[page.length - 1]!;
    cursor = { streamId: last.streamId, position: last.position };
  }
}

async function held(storage: PieceStore, satelliteId: Uint8Array): Promise<Map<string, number>> {
  const pieces = new Map<string, number>();
  for await (const entry of storage.list(satelliteId)) pieces.set(toHex(entry.pieceId), entry.size);
  return pieces;
}

/** Writes a piece straight into a node's store, as a stray the satellite never referenced. */
async function strayPiece(storage: PieceStore, satellite: Identity | Uint8Array, size: number): Promise<string> {
  const signer = satellite instanceof Identity ? satellite : Identity.generate();
  const satelliteId = satellite instanceof Identity ? satellite.publicKey : satellite;
  const pieceId = random(32);
  const pieceKey = Identity.generate();
  const data = patterned(size, size);
  const writer = await storage.create(satelliteId, pieceId);
  await writer.write(data);
  const storedAt = Date.now() - 60_000;
  await writer.commit({
    orderLimit: signOrderLimit(signer, {
      serialNumber: random(16), satelliteId, storageNodeId: random(32), pieceId, action: 'PUT', limitBytes: size,
      orderExpiration: storedAt + 3600_000, piecePublicKey: pieceKey.publicKey, createdAt: storedAt,
    }),
    uplinkPieceHash: signPieceHash(pieceKey, { pieceId, hash: getCryptoProvider().sha256(data), pieceSize: size, timestamp: storedAt }),
    storedAt,
  });
  return toHex(pieceId);
}

async function expectDownloads(uplink: Uplink, objects: ReadonlyMap<string, Uint8Array>): Promise<void> {
  for (const [key, data] of objects) expect(equalBytes(await uplink.download('bucket', key), data), `${key} downloads byte-identical`).toBe(true);
}

for (const setup of [{ transport: 'memory', storage: 'memory' }, { transport: 'tcp', storage: 'sqlite' }] as const) {
  describe(`garbage collection over ${setup.transport} with ${setup.storage === 'memory' ? 'memory' : 'filesystem'} piece stores`, () => {
    it('after deletes a node missed, stray pieces, moves and copies, trashes every orphan and no live piece; restores; empties after retention', async () => {
      const network = await start(setup);
      const satelliteId = network.satellite.id.bytes;
      const uplink = await network.uplink();
      await uplink.createBucket('bucket');
      const objects = new Map<string, Uint8Array>();
      const put = async (key: string, size: number, seed: number): Promise<void> => {
        const data = patterned(size, seed);
        await uplink.upload('bucket', key, data);
        objects.set(key, data);
      };
      await put('moved/a', 3 * TEST_SEGMENT_SIZE + 100, 1);
      const liveBefore = await liveByNode(network);
      await put('deleted-while-down', 2 * TEST_SEGMENT_SIZE, 2);
      const liveAfter = await liveByNode(network);
      await put('deleted', TEST_SEGMENT_SIZE + 5, 3);
      await put('copied', 2 * TEST_SEGMENT_SIZE + 9, 4);
      await put('kept', 10_000, 5);
      await put('inline', 100, 6);

      // A node misses the deletes of an object: it is down while the satellite sends them. It is
      // one that holds a piece of that object (which nodes do is the upload's choice).
      const down = network.nodes.findIndex((node) => {
        const key = toHex(node.identity.publicKey);
        return [...(liveAfter.get(key) ?? [])].some((id) => !liveBefore.get(key)?.has(id));
      });
      expect(down).toBeGreaterThanOrEqual(0);
      const startAgain = await restartLater(network, down);
      await uplink.deleteObject('bucket', 'deleted-while-down');
      objects.delete('deleted-while-down');
      await network.satellite.settleDeletes();
      const again = await startAgain();
      const nodes = network.nodes.map((node, i) => (i === down ? again : node));

      await uplink.deleteObject('bucket', 'deleted');
      objects.delete('deleted');
      await uplink.moveObject('bucket', 'moved/a', 'z/moved-a');
      objects.set('z/moved-a', objects.get('moved/a')!);
      objects.delete('moved/a');
      await uplink.copyObject('bucket', 'copied', 'copy-of-copied');
      objects.set('copy-of-copied', objects.get('copied')!);
      await uplink.deleteObject('bucket', 'copied'); // the copy keeps every piece alive
      objects.delete('copied');
      await network.satellite.settleDeletes();

      // Stray pieces: ours (garbage), and another satellite's (never ours to judge).
      const foreign = Identity.generate();
      const foreignPiece = await strayPiece(nodes[2]!.storage, foreign, 777);
      const strays: string[] = [];
      for (const node of nodes.slice(1, 4)) strays.push(await strayPiece(node.storage, satelliteId, 1234));

      const live = await liveByNode(network);
      const before = new Map<string, Map<string, number>>();
      for (const node of nodes) before.set(toHex(node.identity.publicKey), await held(node.storage, satelliteId));
      const orphans = [...before].flatMap(([node, pieces]) => [...pieces.keys()].filter((id) => !live.get(node)?.has(id)).map((id) => `${node}:${id}`));
      // The missed deletes and the strays are there to collect.
      expect(orphans.filter((o) => o.startsWith(toHex(nodes[down]!.identity.publicKey))).length).toBeGreaterThan(0);
      for (const stray of strays) expect(orphans.some((o) => o.endsWith(stray))).toBe(true);

      await sleep(5); // every piece so far was stored strictly before the run starts
      const report = await network.satellite.gc.runOnce();
      expect(report.nodes.map((n) => [n.outcome, n.reason])).toEqual(nodes.map(() => ['sent', undefined]));
      expect(report.createdAt).toBe(report.startedAt);
      for (const node of nodes) await node.retain.idle();

      let trashedTotal = 0;
      for (const node of nodes) {
        const key = toHex(node.identity.publicKey);
        const after = await held(node.storage, satelliteId);
        const wanted = live.get(key) ?? new Set<string>();
        // Exactly the live pieces are left: no orphan kept, no live piece trashed.
        expect([...after.keys()].sort()).toEqual([...wanted].sort());
        const liveBytes = [...after.values()].reduce((a, b) => a + b, 0);
        const orphanBytes = [...before.get(key)!].filter(([id]) => !wanted.has(id)).reduce((a, [, size]) => a + size, 0);
        expect(node.storage.usedBytes(satelliteId)).toBe(liveBytes);
        if (!hasTrash(node.storage)) throw new Error('no trash');
        expect(node.storage.trashedBytes(satelliteId)).toBe(orphanBytes);
        trashedTotal += node.retain.lastResult(satelliteId)?.trashed ?? 0;
      }
      expect(trashedTotal).toBe(orphans.length);
      // Another satellite's piece is not ours to collect.
      expect((await held(nodes[2]!.storage, foreign.publicKey)).has(foreignPiece)).toBe(true);
      await expectDownloads(uplink, objects);

      // Restore brings the node's trashed pieces back; a second run trashes them again.
      const node = nodes[down]!;
      const trashedHere = [...before.get(toHex(node.identity.publicKey))!.keys()].filter((id) => !live.get(toHex(node.identity.publicKey))?.has(id));
      expect(await node.restoreTrash(satelliteId)).toBe(trashedHere.length);
      const restored = await held(node.storage, satelliteId);
      for (const id of trashedHere) expect(restored.has(id)).toBe(true);
      await network.satellite.gc.runOnce();
      for (const n of nodes) await n.retain.idle();
      for (const id of trashedHere) expect(await node.storage.has(satelliteId, Buffer.from(id, 'hex'))).toBe(false);

      // Past retention the trash is deleted for good: nothing left to restore.
      for (const n of nodes) {
        expect(await n.retain.emptyTrash(Date.now() + n.retain.config.trashRetentionMs + 1)).toBeGreaterThanOrEqual(0);
        if (hasTrash(n.storage)) expect(n.storage.trashedBytes(satelliteId)).toBe(0);
        expect(await n.restoreTrash(satelliteId)).toBe(0);
      }
      await expectDownloads(uplink, objects);
    });

    it('a copy made behind the iteration’s cursor, its source deleted ahead of it, keeps every piece', async () => {
      const network = await start(setup);
      const uplink = await network.uplink();
      await uplink.createBucket('bucket');
      const uploaded = [];
      for (let i = 0; i < 8; i++) uploaded.push({ key: `o${i}`, data: patterned(10_000 + i, 10 + i), info: await uplink.upload('bucket', `o${i}`, patterned(10_000 + i, 10 + i)) });
      uploaded.sort((a, b) => Buffer.compare(Buffer.from(a.info.streamId), Buffer.from(b.info.streamId)));
      const source = uploaded[uploaded.length - 1]!; // sorts last: the pass reaches it last
      const trigger = uploaded[uploaded.length - 2]!.info.streamId;
      const metabase = network.satellite.store.metabase;
      let passes = 0;
      let copied: { key: string; streamId: Uint8Array } | undefined;
      const seen: string[] = [];
      const hooked: GcMetabase = {
        iterateSegments: async (options) => {
          if (options.cursor === undefined) passes++;
          const page = await metabase.iterateSegments(options);
          if (passes === 2) seen.push(...page.map((s) => toHex(s.streamId)));
          const cursor = page[page.length - 1];
          if (passes === 2 && !copied && cursor && equalBytes(cursor.streamId, trigger)) {
            // Copy until the copy's (random) stream id sorts behind the cursor; copies ahead of it are deleted at once.
            for (let attempt = 0; attempt < 40 && !copied; attempt++) {
              const info = await uplink.copyObject('bucket', source.key, `copy${attempt}`);
              if (Buffer.compare(Buffer.from(info.streamId), Buffer.from(cursor.streamId)) < 0) copied = { key: `copy${attempt}`, streamId: info.streamId };
              else await uplink.deleteObject('bucket', `copy${attempt}`);
            }
            expect(copied).toBeDefined();
            await uplink.deleteObject('bucket', source.key); // ahead of the cursor, before the pass reaches it
            await network.satellite.settleDeletes();
          }
          return page;
        },
        listSegments: (streamId, options) => metabase.listSegments(streamId, options),
        listStreamsCreatedSince: (since, options) => metabase.listStreamsCreatedSince(since, options),
        oldestPendingCreatedAt: () => metabase.oldestPendingCreatedAt(),
      };
      const transport: Transport = network.net ? network.net.transport({ host: 'gc' }) : tcpTransport();
      const gc = new GarbageCollector({
        identity: network.satellite.identity, metabase: hooked, overlay: network.satellite.store.overlay, transport,
        config: { pageSize: 1, falsePositiveRate: 0.000_001 },
      });
      try {
        await sleep(5);
        const report = await gc.runOnce();
        expect(copied).toBeDefined();
        expect(seen).not.toContain(toHex(source.info.streamId));
        expect(seen).not.toContain(toHex(copied!.streamId));
        expect(report.nodes.every((n) => n.outcome === 'sent')).toBe(true);
        for (const node of network.nodes) await node.retain.idle();
        // Every piece the copy uses is still on its node, and the copy downloads byte-identical.
        const [segment] = await metabase.listSegments(copied!.streamId, { limit: 10 });
        for (const piece of segment!.pieces) {
          const holder = network.nodes.find((n) => equalBytes(n.identity.publicKey, piece.nodeId))!;
          expect(await holder.storage.has(network.satellite.id.bytes, derivePieceId(segment!.rootPieceId, piece.nodeId, piece.number))).toBe(true);
        }
        expect(equalBytes(await uplink.download('bucket', copied!.key), source.data)).toBe(true);
        for (const other of uploaded.slice(0, -1)) expect(equalBytes(await uplink.download('bucket', other.key), other.data)).toBe(true);
        // The sweep of streams created since the iteration began is what found it.
        expect(report.sweptSegments).toBeGreaterThanOrEqual(1);
      } finally {
        await gc.close();
      }
    });

    it('refuses a forged Retain from an identity that is not a trusted satellite', async () => {
      const network = await start(setup, 4);
      const uplink = await network.uplink();
      await uplink.createBucket('bucket');
      const data = patterned(2 * TEST_SEGMENT_SIZE, 9);
      await uplink.upload('bucket', 'precious', data);
      const target = network.nodes[0]!;
      const satelliteId = network.satellite.id.bytes;
      const heldBefore = await held(target.storage, satelliteId);
      expect(heldBefore.size).toBeGreaterThan(0);
      const empty = BloomFilter.create({ expectedCount: 0, falsePositiveRate: 0.1 }).encode();
      // A stranger, and another storage node: neither is a satellite this node trusts.
      for (const forger of [Identity.generate(), network.nodes[1]!.identity]) {
        const client = new RpcClient({
          transport: network.net ? network.net.transport({ host: 'forger' }) : tcpTransport(),
          address: target.address,
          identity: forger,
        });
        try {
          await expect(client.call(PiecestoreRetain, { createdAt: Date.now() + 3600_000, filter: empty })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
        } finally {
          await client.close();
        }
      }
      await target.retain.idle();
      expect(await held(target.storage, satelliteId)).toEqual(heldBefore);
      expect(equalBytes(await uplink.download('bucket', 'precious'), data)).toBe(true);
    });
  });
}
