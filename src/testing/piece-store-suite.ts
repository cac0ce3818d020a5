/**
 * The `PieceStore` contract as a test suite. The memory and filesystem stores run it, and so
 * should a store you write:
 *
 * ```ts
 * import { pieceStoreSuite } from 'handoff/testing';
 * pieceStoreSuite({
 *   name: 'my store',
 *   open: async () => MyPieceStore.open(freshDirectory()),
 *   reopen: async (store) => MyPieceStore.open(sameDirectory(store)),
 * });
 * ```
 *
 * It checks write/commit/abort, headers kept with the piece, ranged streaming reads, refusing to
 * overwrite, delete, listing, per-satellite space accounting, the trash garbage collection uses
 * (for a store that has one: trash, restore, empty, and their accounting) and, when `reopen` is
 * given, durability and the accounting rebuilt on open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../core/bytes.js';
import { Identity } from '../crypto/identity.js';
import { getCryptoProvider } from '../crypto/select.js';
import { signOrderLimit, type OrderLimit } from '../orders/order-limit.js';
import { signPieceHash, type PieceHash } from '../orders/piece-hash.js';
import { hasTrash, type PieceCommit, type PieceStore, type PieceTrash } from '../piecestore/store.js';

/** How {@link pieceStoreSuite} opens the store under test. */
export interface PieceStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'filesystem'`. */
  readonly name: string;
  /** A new, empty store for one test. */
  open(): Promise<PieceStore>;
  /** Opens the same data again (as after a restart); omit for stores that keep nothing. */
  reopen?(store: PieceStore): Promise<PieceStore>;
  /** Called after each test, e.g. to remove a directory. */
  cleanup?(): Promise<void>;
}

const random = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);

/** `n` bytes of a recognizable pattern, so misplaced ranges show. */
function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

function proofFor(satellite: Identity, pieceId: Uint8Array, data: Uint8Array, storedAt = 1_700_000_000_000): PieceCommit {
  const pieceKey = Identity.generate();
  const orderLimit: OrderLimit = signOrderLimit(satellite, {
    serialNumber: random(16),
    satelliteId: satellite.publicKey,
    storageNodeId: random(32),
    pieceId,
    action: 'PUT',
    limitBytes: data.length,
    orderExpiration: storedAt + 3_600_000,
    piecePublicKey: pieceKey.publicKey,
    createdAt: storedAt,
  });
  const uplinkPieceHash: PieceHash = signPieceHash(pieceKey, {
    pieceId,
    hash: getCryptoProvider().sha256(data),
    pieceSize: data.length,
    timestamp: storedAt,
  });
  return { orderLimit, uplinkPieceHash, storedAt };
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<{ data: Uint8Array; sizes: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return { data: concatBytes(...parts), sizes: parts.map((p) => p.length) };
}

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).name;
  }
  return 'no error';
}

/** Registers the piece store contract tests for one implementation. */
export function pieceStoreSuite(setup: PieceStoreSuiteSetup): void {
  describe(`piece store: ${setup.name}`, () => {
    const satellite = Identity.generate();
    const sat = satellite.publicKey;

    afterEach(async () => {
      await setup.cleanup?.();
    });

    async function put(store: PieceStore, pieceId: Uint8Array, data: Uint8Array, chunk = 1000, on = satellite): Promise<PieceCommit> {
      const writer = await store.create(on.publicKey, pieceId);
      for (let at = 0; at < data.length; at += chunk) await writer.write(data.subarray(at, at + chunk));
      expect(writer.size).toBe(data.length);
      const proof = proofFor(on, pieceId, data);
      await writer.commit(proof);
      return proof;
    }

    it('keeps a committed piece with its original order limit and uplink hash', async () => {
      const store = await setup.open();
      const pieceId = random(32);
      const data = pattern(10_000);
      const proof = await put(store, pieceId, data);
      expect(await store.has(sat, pieceId)).toBe(true);
      const header = await store.header(sat, pieceId);
      expect(header).toEqual({ ...proof, size: data.length });
      expect((await collect(store.read(sat, pieceId, { offset: 0, length: data.length }))).data).toEqual(data);
    });

    it('streams any range in chunks no larger than asked', async () => {
      const store = await setup.open();
      const pieceId = random(32);
      const data = pattern(5_000, 3);
      await put(store, pieceId, data, 777);
      for (const [offset, length] of [[0, 0], [0, 1], [4_999, 1], [123, 4_000], [5_000, 0], [1_000, 1_000]] as const) {
        const { data: got, sizes } = await collect(store.read(sat, pieceId, { offset, length }, { chunkSize: 512 }));
        expect(got).toEqual(data.subarray(offset, offset + length));
        expect(sizes.every((n) => n > 0 && n <= 512)).toBe(true);
      }
    });

    it('refuses ranges outside the piece and reads of missing pieces with typed errors', async () => {
      const store = await setup.open();
      const pieceId = random(32);
      await put(store, pieceId, pattern(100));
      expect(await errorName(collect(store.read(sat, pieceId, { offset: 50, length: 51 })))).toBe('InvalidArgumentError');
      expect(await errorName(collect(store.read(sat, pieceId, { offset: -1, length: 1 })))).toBe('InvalidArgumentError');
      expect(await errorName(collect(store.read(sat, random(32), { offset: 0, length: 0 })))).toBe('NotFoundError');
      expect(await errorName(store.header(sat, random(32)))).toBe('NotFoundError');
      expect(await errorName(store.has(sat.subarray(1), pieceId))).toBe('InvalidArgumentError');
    });

    it('leaves nothing behind after an abort', async () => {
      const store = await setup.open();
      const pieceId = random(32);
      const writer = await store.create(sat, pieceId);
      await writer.write(pattern(4096));
      await writer.abort();
      await writer.abort();
      expect(await store.has(sat, pieceId)).toBe(false);
      expect(store.usedBytes(sat)).toBe(0);
      expect(await errorName(writer.write(pattern(1)))).toBe('FailedPreconditionError');
      expect(await errorName(writer.commit(proofFor(satellite, pieceId, new Uint8Array())))).toBe('FailedPreconditionError');
    });

    it('keeps a committed piece intact through a late abort', async () => {
      const store = await setup.open();
      const pieceId = random(32);
      const data = pattern(3_000, 4);
      const writer = await store.create(sat, pieceId);
      for (let at = 0; at < data.length; at += 1_000) await writer.write(data.slice(at, at + 1_000));
      await writer.commit(proofFor(satellite, pieceId, data));
      await writer.abort();
      expect((await collect(store.read(sat, pieceId, { offset: 0, length: data.length }))).data).toEqual(data);
      expect(store.usedBytes(sat)).toBe(data.length);
    });

    it('never overwrites a stored piece: the second commit is AlreadyExists and the first stays', async () => {
      const store = await setup.open();
      const pieceId = random(32);
      const first = pattern(300, 1);
      const proof = await put(store, pieceId, first);
      const writer = await store.create(sat, pieceId);
      await writer.write(pattern(500, 2));
      expect(await errorName(writer.commit(proofFor(satellite, pieceId, pattern(500, 2))))).toBe('AlreadyExistsError');
      await writer.abort();
      expect(await store.header(sat, pieceId)).toEqual({ ...proof, size: 300 });
      expect((await collect(store.read(sat, pieceId, { offset: 0, length: 300 }))).data).toEqual(first);
      expect(store.usedBytes(sat)).toBe(300);
    });

    it('lets exactly one of two racing writers of the same piece commit', async () => {
      const store = await setup.open();
      const pieceId = random(32);
      const writers = await Promise.all([store.create(sat, pieceId), store.create(sat, pieceId)]);
      await Promise.all(writers.map((w, i) => w.write(pattern(100, i))));
      const outcomes = await Promise.all(writers.map((w, i) => errorName(w.commit(proofFor(satellite, pieceId, pattern(100, i))))));
      expect(outcomes.sort()).toEqual(['AlreadyExistsError', 'no error']);
      expect(store.usedBytes(sat)).toBe(100);
    });

    it('stores an empty piece', async () => {
      const store = await setup.open();
      const pieceId = random(32);
      await put(store, pieceId, new Uint8Array());
      expect((await store.header(sat, pieceId)).size).toBe(0);
      expect((await collect(store.read(sat, pieceId, { offset: 0, length: 0 }))).data.length).toBe(0);
    });

    it('keeps satellites apart and accounts used bytes per satellite', async () => {
      const store = await setup.open();
      const other = Identity.generate();
      const pieceId = random(32);
      await put(store, pieceId, pattern(1_000));
      await put(store, pieceId, pattern(2_500), 1000, other);
      await put(store, random(32), pattern(10), 1000, other);
      expect(store.usedBytes(sat)).toBe(1_000);
      expect(store.usedBytes(other.publicKey)).toBe(2_510);
      expect(store.usedBytes()).toBe(3_510);
      expect(store.usedBytes(random(32))).toBe(0);
      expect((await store.header(other.publicKey, pieceId)).size).toBe(2_500);
    });

    it('deletes a piece once and gives its space back', async () => {
      const store = await setup.open();
      const pieceId = random(32);
      await put(store, pieceId, pattern(1_234));
      expect(await store.delete(sat, pieceId)).toBe(true);
      expect(await store.delete(sat, pieceId)).toBe(false);
      expect(await store.has(sat, pieceId)).toBe(false);
      expect(store.usedBytes(sat)).toBe(0);
      expect(await errorName(store.header(sat, pieceId))).toBe('NotFoundError');
    });

    it('hands a whole piece over with its header in one call, when the store offers it', async () => {
      const store = await setup.open();
      if (store.readPiece === undefined) return;
      const pieceId = random(32);
      const data = pattern(70_000, 5);
      const proof = await put(store, pieceId, data, 4_096);
      const empty = random(32);
      const emptyProof = await put(store, empty, new Uint8Array());
      expect(await store.readPiece(sat, pieceId)).toEqual({ header: { ...proof, size: data.length }, data });
      expect(await store.readPiece(sat, empty)).toEqual({ header: { ...emptyProof, size: 0 }, data: new Uint8Array() });
      expect(await errorName(store.readPiece(sat, random(32)))).toBe('NotFoundError');
      expect(await errorName(store.readPiece(sat, pieceId, { signal: AbortSignal.abort() }))).toBe('CanceledError');
      expect(await errorName(store.readPiece(sat.subarray(1), pieceId))).toBe('InvalidArgumentError');
      expect(await errorName(store.readPiece(random(32), pieceId))).toBe('NotFoundError');
    });

    it('deletes a piece whose size the caller gives, accounting exactly as without it', async () => {
      const store = await setup.open();
      const [a, b] = [random(32), random(32)];
      await put(store, a, pattern(1_234));
      await put(store, b, pattern(4_321, 2));
      expect(await store.delete(sat, a, 1_234)).toBe(true);
      expect(store.usedBytes(sat)).toBe(4_321);
      expect(await store.delete(sat, a, 1_234)).toBe(false);
      expect(store.usedBytes(sat)).toBe(4_321);
      expect(await store.has(sat, a)).toBe(false);
      expect(await store.delete(sat, b)).toBe(true);
      expect(store.usedBytes(sat)).toBe(0);
    });

    it('lists every piece of a satellite with its size', async () => {
      const store = await setup.open();
      const stored = new Map<string, number>();
      for (let i = 0; i < 20; i++) {
        const pieceId = random(32);
        await put(store, pieceId, pattern(i * 10));
        stored.set(toHex(pieceId), i * 10);
      }
      await put(store, random(32), pattern(5), 1000, Identity.generate());
      const listed = new Map<string, number>();
      for await (const entry of store.list(sat)) listed.set(toHex(entry.pieceId), entry.size);
      expect(listed).toEqual(stored);
      const none: unknown[] = [];
      for await (const entry of store.list(random(32))) none.push(entry);
      expect(none).toEqual([]);
    });

    describe('trash', () => {
      async function openWithTrash(): Promise<PieceStore & PieceTrash> {
        const store = await setup.open();
        if (!hasTrash(store)) throw new Error(`${setup.name} has no trash`);
        return store;
      }
      async function listed(store: PieceStore, satelliteId = sat): Promise<string[]> {
        const ids: string[] = [];
        for await (const entry of store.list(satelliteId)) ids.push(toHex(entry.pieceId));
        return ids.sort();
      }

      it('moves a piece out of sight: not readable, not listed, its bytes counted as trash', async () => {
        const store = await openWithTrash();
        const [kept, trashed] = [random(32), random(32)];
        await put(store, kept, pattern(100));
        await put(store, trashed, pattern(250));
        expect(await store.trash(sat, trashed, 1_000)).toBe(true);
        expect(await store.has(sat, trashed)).toBe(false);
        expect(await errorName(store.header(sat, trashed))).toBe('NotFoundError');
        expect(await errorName(collect(store.read(sat, trashed, { offset: 0, length: 1 })))).toBe('NotFoundError');
        expect(await listed(store)).toEqual([toHex(kept)]);
        expect(store.usedBytes(sat)).toBe(100);
        expect(store.trashedBytes(sat)).toBe(250);
        expect(store.trashedBytes()).toBe(250);
        expect(store.trashedSatellites().map(toHex)).toEqual([toHex(sat)]);
        // Nothing to trash: false, and nothing changes.
        expect(await store.trash(sat, trashed, 1_000)).toBe(false);
        expect(await store.trash(sat, random(32), 1_000)).toBe(false);
        expect(store.trashedBytes(sat)).toBe(250);
        expect(await store.delete(sat, trashed)).toBe(false);
      });

      it('restores every trashed piece byte-identical with its header, and only that satellite’s', async () => {
        const store = await openWithTrash();
        const other = Identity.generate();
        const ids = [random(32), random(32), random(32)];
        const proofs = [];
        for (const [i, id] of ids.entries()) proofs.push(await put(store, id, pattern(300 + i, i)));
        const foreign = random(32);
        await put(store, foreign, pattern(50), 1000, other);
        await store.trash(sat, ids[0]!, 1_000);
        await store.trash(sat, ids[1]!, 2_000);
        await store.trash(other.publicKey, foreign, 1_000);
        expect(store.usedBytes(sat)).toBe(302);
        expect(await store.restoreTrash(sat)).toBe(2);
        expect(await listed(store)).toEqual(ids.map(toHex).sort());
        for (const [i, id] of ids.entries()) {
          expect(await store.header(sat, id)).toEqual({ ...proofs[i], size: 300 + i });
          expect((await collect(store.read(sat, id, { offset: 0, length: 300 + i }))).data).toEqual(pattern(300 + i, i));
        }
        expect(store.usedBytes(sat)).toBe(903);
        expect(store.trashedBytes(sat)).toBe(0);
        expect(store.trashedBytes(other.publicKey)).toBe(50);
        expect(await store.has(other.publicKey, foreign)).toBe(false);
        expect(await store.restoreTrash(sat)).toBe(0);
        expect(store.trashedSatellites().map(toHex)).toEqual([toHex(other.publicKey)]);
      });

      it('empties only what was trashed before the given time', async () => {
        const store = await openWithTrash();
        const [old, recent] = [random(32), random(32)];
        await put(store, old, pattern(10));
        await put(store, recent, pattern(20));
        await store.trash(sat, old, 1_000);
        await store.trash(sat, recent, 5_000);
        expect(await store.emptyTrash(sat, 1_000)).toBe(0);
        expect(await store.emptyTrash(sat, 5_000)).toBe(1);
        expect(store.trashedBytes(sat)).toBe(20);
        expect(await store.restoreTrash(sat)).toBe(1);
        expect(await listed(store)).toEqual([toHex(recent)]);
        expect(await store.emptyTrash(sat, 10_000)).toBe(0);
        expect(store.usedBytes(sat)).toBe(20);
        expect(store.trashedBytes()).toBe(0);
        expect(store.trashedSatellites()).toEqual([]);
      });

      it('keeps a piece stored again after it was trashed, and drops the trashed copy on restore', async () => {
        const store = await openWithTrash();
        const id = random(32);
        await put(store, id, pattern(100, 1));
        await store.trash(sat, id, 1_000);
        const again = await put(store, id, pattern(70, 2));
        expect(await store.restoreTrash(sat)).toBe(0);
        expect(await store.header(sat, id)).toEqual({ ...again, size: 70 });
        expect(store.usedBytes(sat)).toBe(70);
        expect(store.trashedBytes(sat)).toBe(0);
        // Trashed twice: the later copy is the one that comes back.
        await store.trash(sat, id, 2_000);
        await put(store, id, pattern(30, 3));
        await store.trash(sat, id, 3_000);
        expect(await store.restoreTrash(sat)).toBe(1);
        expect((await store.header(sat, id)).size).toBe(30);
        expect(store.usedBytes(sat)).toBe(30);
        expect(store.trashedBytes(sat)).toBe(0);
      });

      it('refuses malformed arguments with typed errors', async () => {
        const store = await openWithTrash();
        const id = random(32);
        await put(store, id, pattern(10));
        expect(await errorName(store.trash(sat, id, -1))).toBe('InvalidArgumentError');
        expect(await errorName(store.trash(sat, id, 1.5))).toBe('InvalidArgumentError');
        expect(await errorName(store.trash(sat.subarray(1), id, 1))).toBe('InvalidArgumentError');
        expect(await errorName(store.emptyTrash(sat, Number.NaN))).toBe('InvalidArgumentError');
        expect(await errorName(store.restoreTrash(sat.subarray(2)))).toBe('InvalidArgumentError');
        expect(await store.has(sat, id)).toBe(true);
      });

      if (setup.reopen) {
        const reopen = setup.reopen;
        it('keeps the trash and its accounting across a restart', async () => {
          const store = await openWithTrash();
          const [kept, trashed, emptied] = [random(32), random(32), random(32)];
          await put(store, kept, pattern(11));
          await put(store, trashed, pattern(222, 5));
          await put(store, emptied, pattern(33));
          await store.trash(sat, trashed, 2_000);
          await store.trash(sat, emptied, 1_000);
          const again = await reopen(store);
          if (!hasTrash(again)) throw new Error('reopened store has no trash');
          expect(again.usedBytes(sat)).toBe(11);
          expect(again.trashedBytes(sat)).toBe(255);
          expect(await again.emptyTrash(sat, 1_500)).toBe(1);
          expect(again.trashedBytes(sat)).toBe(222);
          expect(await again.restoreTrash(sat)).toBe(1);
          expect((await collect(again.read(sat, trashed, { offset: 0, length: 222 }))).data).toEqual(pattern(222, 5));
          expect(again.usedBytes(sat)).toBe(233);
        });
      }
    });

    if (setup.reopen) {
      const reopen = setup.reopen;
      it('keeps pieces, headers and space accounting across a restart', async () => {
        const store = await setup.open();
        const kept = random(32);
        const proof = await put(store, kept, pattern(4_321));
        await put(store, random(32), pattern(79));
        const unfinished = await store.create(sat, random(32));
        await unfinished.write(pattern(1_000));
        const again = await reopen(store);
        expect(await again.header(sat, kept)).toEqual({ ...proof, size: 4_321 });
        expect((await collect(again.read(sat, kept, { offset: 4_000, length: 321 }))).data).toEqual(pattern(4_321).subarray(4_000));
        expect(again.usedBytes(sat)).toBe(4_400);
        expect(again.usedBytes()).toBe(4_400);
      });
    }
  });
}
