/**
 * Pieces uploaded with an expiration are deleted by the node itself once it has passed: the node
 * remembers each expiration when the piece is committed, and its collector deletes expired pieces
 * batch by batch, keeping the row of any piece it could not delete so the next run retries it.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { InternalError } from '../../src/core/errors.js';
import { Identity } from '../../src/crypto/identity.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { collectExpiredPieces } from '../../src/node/collector.js';
import { NodeDatabase } from '../../src/node/db/database.js';
import { NODE_DB_MIGRATIONS } from '../../src/node/db/migrations.js';
import { StorageNode } from '../../src/node/storage-node.js';
import { signOrderLimit } from '../../src/orders/order-limit.js';
import { signPieceHash } from '../../src/orders/piece-hash.js';
import { MemoryPieceStore } from '../../src/piecestore/memory-store.js';
import type { PieceStore } from '../../src/piecestore/store.js';
import { createTestNetwork, TEST_REDUNDANCY, TEST_SEGMENT_SIZE, type TestNetwork } from '../../src/testing/network.js';
import { memoryNetwork } from '../../src/transport/memory.js';
import { patterned } from '../uplink/support/bytes.js';

const random = (n: number) => getCryptoProvider().randomBytes(n);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const satellite = Identity.generate();
const pieceKey = Identity.generate();

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function memoryDb(): Promise<NodeDatabase> {
  const db = await NodeDatabase.open({ path: ':memory:' });
  cleanups.push(() => db.close());
  return db;
}

/** Commits a piece of `size` bytes as an upload would, and records its expiration. */
async function storeExpiringPiece(pieces: PieceStore, db: NodeDatabase, expiresAt: number, size = 100): Promise<Uint8Array> {
  const pieceId = random(32);
  const orderLimit = signOrderLimit(satellite, {
    serialNumber: random(16), satelliteId: satellite.publicKey, storageNodeId: random(32), pieceId, action: 'PUT',
    limitBytes: size, pieceExpiration: expiresAt, orderExpiration: T0 + MINUTE, piecePublicKey: pieceKey.publicKey, createdAt: T0,
  });
  const writer = await pieces.create(satellite.publicKey, pieceId);
  await writer.write(new Uint8Array(size).fill(7));
  const uplinkPieceHash = signPieceHash(pieceKey, { pieceId, hash: random(32), pieceSize: size, timestamp: T0 });
  await writer.commit({ orderLimit, uplinkPieceHash, storedAt: T0 });
  db.addPieceExpiration(satellite.publicKey, pieceId, expiresAt);
  return pieceId;
}

/** A real store whose disk refuses to delete some pieces. */
class StuckPieceStore implements PieceStore {
  readonly stuck = new Set<string>();
  constructor(private readonly inner: PieceStore) {}
  create: PieceStore['create'] = (s, p) => this.inner.create(s, p);
  read: PieceStore['read'] = (s, p, range, options) => this.inner.read(s, p, range, options);
  header: PieceStore['header'] = (s, p) => this.inner.header(s, p);
  has: PieceStore['has'] = (s, p) => this.inner.has(s, p);
  list: PieceStore['list'] = (s) => this.inner.list(s);
  usedBytes: PieceStore['usedBytes'] = (s) => this.inner.usedBytes(s);
  async delete(satelliteId: Uint8Array, pieceId: Uint8Array): Promise<boolean> {
    if (this.stuck.has(hex(pieceId))) throw new InternalError('EIO: i/o error, unlink');
    return this.inner.delete(satelliteId, pieceId);
  }
}

describe('the node database remembers when pieces expire', () => {
  it('lists expired pieces oldest first, a batch at a time, and continues after a cursor', async () => {
    const db = await memoryDb();
    const sat = random(32);
    const ids = Array.from({ length: 5 }, () => random(32));
    // Added out of order; one is not expired yet.
    for (const [i, at] of [[3, T0 + 3], [0, T0], [4, T0 + 100], [1, T0 + 1], [2, T0 + 2]] as const) db.addPieceExpiration(sat, ids[i]!, at);

    const first = db.expiredPieces(T0 + 3, 2);
    expect(first).toEqual([{ satelliteId: sat, pieceId: ids[0], expiresAt: T0 }, { satelliteId: sat, pieceId: ids[1], expiresAt: T0 + 1 }]);
    const second = db.expiredPieces(T0 + 3, 2, first[1]);
    expect(second.map((p) => p.expiresAt)).toEqual([T0 + 2, T0 + 3]);
    expect(db.expiredPieces(T0 + 3, 2, second[1])).toEqual([]);
    expect(db.expiredPieces(T0 - 1, 10)).toEqual([]);
    expect(db.expiredPieces(T0 + 100, 10)).toHaveLength(5);
  });

  it('forgets an expiration once, and replaces the time of a piece recorded twice', async () => {
    const db = await memoryDb();
    const [sat, piece] = [random(32), random(32)];
    db.addPieceExpiration(sat, piece, T0 + 50);
    db.addPieceExpiration(sat, piece, T0);
    expect(db.expiredPieces(T0, 10)).toEqual([{ satelliteId: sat, pieceId: piece, expiresAt: T0 }]);
    expect(db.deletePieceExpiration(sat, piece)).toBe(true);
    expect(db.deletePieceExpiration(sat, piece)).toBe(false);
    expect(db.expiredPieces(T0 + 50, 10)).toEqual([]);
  });

  it('refuses ids that are not 32 bytes and times or counts that are not non-negative integers', async () => {
    const db = await memoryDb();
    const invalid = expect.objectContaining({ name: 'InvalidArgumentError' });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }).filter((b) => b.length !== 32), (bad) => {
      expect(() => db.addPieceExpiration(bad, random(32), T0)).toThrow(invalid);
      expect(() => db.addPieceExpiration(random(32), bad, T0)).toThrow(invalid);
      expect(() => db.deletePieceExpiration(random(32), bad)).toThrow(invalid);
      expect(() => db.expiredPieces(T0, 1, { satelliteId: bad, pieceId: random(32), expiresAt: T0 })).toThrow(invalid);
    }), { numRuns: 50 });
    for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
      expect(() => db.addPieceExpiration(random(32), random(32), bad)).toThrow(invalid);
      expect(() => db.expiredPieces(bad, 1)).toThrow(invalid);
      expect(() => db.expiredPieces(T0, bad)).toThrow(invalid);
    }
    expect(db.expiredPieces(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('migrates a database from before expirations, keeping what it held', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'handoff-expiration-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'node.db');
    const old = new Database(path);
    old.exec(NODE_DB_MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old.prepare('INSERT INTO trusted_satellite (id, address, added_at) VALUES (?, ?, ?)').run(Buffer.from(satellite.publicKey), 'sat:7777', T0);
    old.close();

    const db = await NodeDatabase.open({ path });
    cleanups.push(() => db.close());
    expect(db.isTrusted(satellite.publicKey)).toBe(true);
    const piece = random(32);
    db.addPieceExpiration(satellite.publicKey, piece, T0);
    expect(db.expiredPieces(T0, 10)).toEqual([{ satelliteId: satellite.publicKey, pieceId: piece, expiresAt: T0 }]);
  });
});

describe('the expiration collector', () => {
  it('deletes expired pieces, keeps the rest, and drops the rows of pieces already gone', async () => {
    const db = await memoryDb();
    const pieces = new MemoryPieceStore();
    const expired = [await storeExpiringPiece(pieces, db, T0), await storeExpiringPiece(pieces, db, T0 + MINUTE)];
    const later = await storeExpiringPiece(pieces, db, T0 + 2 * MINUTE);
    const gone = random(32);
    db.addPieceExpiration(satellite.publicKey, gone, T0); // deleted by the satellite meanwhile

    expect(await collectExpiredPieces({ db, storage: pieces, now: T0 + MINUTE, batchSize: 2 })).toEqual({ deleted: 2, missing: 1, failed: 0 });
    for (const id of expired) expect(await pieces.has(satellite.publicKey, id)).toBe(false);
    expect(await pieces.has(satellite.publicKey, later)).toBe(true);
    expect(pieces.usedBytes()).toBe(100);
    expect(db.expiredPieces(T0 + 2 * MINUTE, 10).map((p) => hex(p.pieceId))).toEqual([hex(later)]);
    expect(await collectExpiredPieces({ db, storage: pieces, now: T0 + MINUTE })).toEqual({ deleted: 0, missing: 0, failed: 0 });
  });

  it('goes on past pieces it cannot delete, keeps their rows, and deletes them on a later run', async () => {
    const db = await memoryDb();
    const pieces = new StuckPieceStore(new MemoryPieceStore());
    // The two oldest are stuck: a whole batch of failures must not stop the pass.
    const stuck = [await storeExpiringPiece(pieces, db, T0), await storeExpiringPiece(pieces, db, T0 + 1)];
    const fine = [await storeExpiringPiece(pieces, db, T0 + 2), await storeExpiringPiece(pieces, db, T0 + 3), await storeExpiringPiece(pieces, db, T0 + 4)];
    for (const id of stuck) pieces.stuck.add(hex(id));

    const errors: Array<[string, string]> = [];
    const result = await collectExpiredPieces({
      db, storage: pieces, now: T0 + 10, batchSize: 2, onError: (err, piece) => errors.push([(err as Error).name, hex(piece.pieceId)]),
    });
    expect(result).toEqual({ deleted: 3, missing: 0, failed: 2 });
    expect(errors).toEqual(stuck.map((id) => ['InternalError', hex(id)]));
    for (const id of fine) expect(await pieces.has(satellite.publicKey, id)).toBe(false);
    for (const id of stuck) expect(await pieces.has(satellite.publicKey, id)).toBe(true);
    expect(db.expiredPieces(T0 + 10, 10).map((p) => hex(p.pieceId))).toEqual(stuck.map(hex));

    pieces.stuck.clear();
    expect(await collectExpiredPieces({ db, storage: pieces, now: T0 + 10 })).toEqual({ deleted: 2, missing: 0, failed: 0 });
    expect(pieces.usedBytes()).toBe(0);
    expect(db.expiredPieces(T0 + 10, 10)).toEqual([]);
  });

  it('refuses a batch size that is not a positive integer', async () => {
    const db = await memoryDb();
    await expect(collectExpiredPieces({ db, storage: new MemoryPieceStore(), now: T0, batchSize: 0 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
  });
});

describe('a storage node collecting expired pieces', () => {
  it('collects every hour by its own clock, reports a piece it cannot delete, and stops on close', async () => {
    const clock = new ManualClock(T0);
    const db = await memoryDb();
    const pieces = new StuckPieceStore(new MemoryPieceStore());
    const errors: string[] = [];
    const node = await StorageNode.start({
      transport: memoryNetwork().transport({ host: 'node' }), address: 'node:0', satellites: [], storage: pieces, db,
      wallet: '0xabc', capacity: 2 ** 30, clock, onError: (_err, where) => errors.push(where),
    });
    cleanups.push(() => node.close());
    const soon = await storeExpiringPiece(pieces, db, T0 + MINUTE);
    const stuck = await storeExpiringPiece(pieces, db, T0 + MINUTE);
    pieces.stuck.add(hex(stuck));

    clock.advance(59 * MINUTE);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await pieces.has(satellite.publicKey, soon)).toBe(true);

    clock.advance(MINUTE);
    await vi.waitFor(async () => expect(await pieces.has(satellite.publicKey, soon)).toBe(false));
    await vi.waitFor(() => expect(errors).toEqual(['expiration collection']));
    expect(await pieces.has(satellite.publicKey, stuck)).toBe(true);

    await node.close();
    expect(clock.pending).toBe(0);
  });
});

describe('pieces of an expiring object over a real network', () => {
  let network: TestNetwork | undefined;
  afterEach(async () => {
    await network?.close();
    network = undefined;
  });

  it('leave every node once the object expires, while the other object stays and downloads', async () => {
    // Every node takes a piece of every segment and the upload waits for all of them: no long tail
    // is still committing when the test looks at the stores.
    network = await createTestNetwork({ nodes: 5, redundancy: { ...TEST_REDUNDANCY, success: 5, total: 5 } });
    const uplink = await network.uplink();
    await uplink.createBucket('media');
    const keeper = patterned(TEST_SEGMENT_SIZE + 5000, 1);
    await uplink.upload('media', 'keeper.bin', keeper);
    const expires = new Date(Date.now() + 10 * MINUTE);
    const temporary = patterned(2 * TEST_SEGMENT_SIZE + 9000, 2); // three remote segments: no tail small enough to be inline
    await uplink.upload('media', 'temporary.bin', temporary, { expires });

    const satelliteId = network.satellite.id.bytes;
    const before = await Promise.all(network.nodes.map(async (node) => {
      const expiring: Array<{ pieceId: Uint8Array; size: number }> = [];
      const lasting: Uint8Array[] = [];
      for await (const { pieceId, size } of node.storage.list(satelliteId)) {
        const { orderLimit } = await node.storage.header(satelliteId, pieceId);
        if (orderLimit.pieceExpiration === expires.getTime()) expiring.push({ pieceId, size });
        else lasting.push(pieceId);
      }
      return { expiring, lasting, usedBytes: node.storage.usedBytes() };
    }));
    for (const held of before) {
      expect(held.expiring).toHaveLength(3); // one piece of each of the temporary object's segments
      expect(held.lasting).toHaveLength(2);
    }

    // By the nodes' own clocks the object has not expired yet: nothing goes.
    for (const node of network.nodes) expect(await node.collectExpiredPieces()).toEqual({ deleted: 0, missing: 0, failed: 0 });

    for (const [i, node] of network.nodes.entries()) {
      const held = before[i]!;
      expect(await node.collectExpiredPieces({ now: expires.getTime() })).toEqual({ deleted: 3, missing: 0, failed: 0 });
      for (const { pieceId } of held.expiring) expect(await node.storage.has(satelliteId, pieceId)).toBe(false);
      for (const pieceId of held.lasting) expect(await node.storage.has(satelliteId, pieceId)).toBe(true);
      expect(node.storage.usedBytes()).toBe(held.usedBytes - held.expiring.reduce((sum, p) => sum + p.size, 0));
      expect(node.db.expiredPieces(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    }
    expect(Buffer.from(await uplink.download('media', 'keeper.bin')).equals(keeper)).toBe(true);
  });
});
