/**
 * The `ExitQueueStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run it,
 * and so should a store you write:
 *
 * ```ts
 * import { exitQueueStoreSuite } from 'handoff/testing';
 * exitQueueStoreSuite({
 *   name: 'my store',
 *   open: async () => MyExitQueueStore.open(freshDatabase()),
 *   reopen: async (store) => { await store.close(); return MyExitQueueStore.open(sameDatabase()); },
 * });
 * ```
 *
 * It checks that starting an exit is idempotent (and exactly one of racing starts creates it),
 * that gathering batches never queue or count a piece twice (keeping the lower durability,
 * moving the cursor, adding only new pieces' bytes), the order transfers go out in, per-piece
 * sends and failures, that finishing an item counts it exactly once even when finished
 * concurrently, that finishing an exit is a compare-and-swap that empties the queue, that
 * activity never moves backwards, listing filters, refusal of malformed input without a change,
 * counter invariants over random sequences of operations and, when `reopen` is given, durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compareBytes, toHex } from '../core/bytes.js';
import { getCryptoProvider } from '../crypto/select.js';
import type { SegmentCursor } from '../metainfo/metabase/types.js';
import type { ExitQueueStore, FinishedItem, FinishExit, NewExitQueueItem } from '../exit/queue-store.js';
import type { ExitQueueItem, ExitRecord } from '../exit/types.js';

/** How {@link exitQueueStoreSuite} opens the store under test. */
export interface ExitQueueStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<ExitQueueStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: ExitQueueStore): Promise<ExitQueueStore>;
}

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

const randomBytes = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);
const nodeId = (): Uint8Array => randomBytes(32);
const hex = (bytes: Uint8Array): string => toHex(bytes);

function cursor(index = 0, streamId: Uint8Array = randomBytes(16)): SegmentCursor {
  return { streamId, position: { part: 0, index } };
}

function item(overrides: Partial<NewExitQueueItem> = {}): NewExitQueueItem {
  return {
    pieceId: randomBytes(32),
    rootPieceId: randomBytes(32),
    pieceNumber: 3,
    streamId: randomBytes(16),
    position: { part: 0, index: 0 },
    pieceSize: 1024,
    durability: 0.5,
    drop: false,
    queuedAt: T0,
    ...overrides,
  };
}

function finish(overrides: Partial<FinishExit> = {}): FinishExit {
  return { outcome: 'completed', reason: null, detail: null, receipt: randomBytes(80), at: T0 + 60 * MINUTE, ...overrides };
}

const pieceIds = (items: readonly Pick<ExitQueueItem, 'pieceId'>[]): string[] => items.map((i) => hex(i.pieceId));

/** A small seeded generator (mulberry32), so a failing random sequence can be replayed from its seed. */
function seeded(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Registers the store contract tests for one implementation. */
export function exitQueueStoreSuite(setup: ExitQueueStoreSuiteSetup): void {
  describe(`exit queue store: ${setup.name}`, () => {
    let store: ExitQueueStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const open = async (): Promise<ExitQueueStore> => (store = await setup.open());

    /** Starts an exit and returns the node id. */
    async function exiting(s: ExitQueueStore, at = T0): Promise<Uint8Array> {
      const id = nodeId();
      await s.startExit(id, at);
      return id;
    }

    it('starts an exit once: a later start returns the first record unchanged, with created false', async () => {
      const s = await open();
      const id = nodeId();
      const first = await s.startExit(id, T0);
      const expected: ExitRecord = {
        nodeId: id,
        kind: 'full',
        targetBytes: null,
        policy: 'transfer',
        initiatedAt: T0,
        startingBytes: 0,
        gatherCursor: undefined,
        gatheredAt: null,
        piecesQueued: 0,
        piecesTransferred: 0,
        piecesDropped: 0,
        piecesFailed: 0,
        bytesTransferred: 0,
        lastActivityAt: T0,
        finishedAt: null,
        outcome: null,
        failureReason: null,
        failureDetail: null,
        receipt: null,
        archivedAt: null,
      };
      expect(first).toEqual({ record: expected, created: true });
      expect(await s.startExit(id, T0 + MINUTE)).toEqual({ record: expected, created: false });
      expect(await s.getExit(id)).toEqual(expected);
      expect(await s.getExit(nodeId())).toBeUndefined();
    });

    it('records what kind of exit starts: a partial one with its target, a time-based one gathered at once', async () => {
      const s = await open();
      const partial = nodeId();
      const timed = nodeId();
      const { record } = await s.startExit(partial, T0, { kind: 'partial', targetBytes: 2 ** 40 + 1, policy: 'transfer' });
      expect(record).toMatchObject({ kind: 'partial', targetBytes: 2 ** 40 + 1, policy: 'transfer', gatheredAt: null });
      expect(await s.getExit(partial)).toEqual(record);
      // A later start of another kind returns the first record unchanged.
      expect((await s.startExit(partial, T0 + 1)).record).toEqual(record);
      const time = await s.startExit(timed, T0 + 5, { kind: 'full', targetBytes: null, policy: 'time-based' });
      expect(time.record).toMatchObject({ kind: 'full', targetBytes: null, policy: 'time-based', gatheredAt: T0 + 5 });
    });

    it('archives a finished exit so a new one can start, and keeps listing the archived one', async () => {
      const s = await open();
      const id = nodeId();
      const other = await exiting(s, T0 + 1);
      await s.startExit(id, T0, { kind: 'partial', targetBytes: 500, policy: 'transfer' });
      // An unfinished exit is not archived: nothing changes.
      expect(await s.archiveExit(id, T0 + 2)).toBeUndefined();
      expect(await s.getExit(id)).toMatchObject({ kind: 'partial', archivedAt: null });
      expect(await s.archiveExit(nodeId(), T0 + 2)).toBeUndefined();

      const finished = (await s.finishExit(id, finish({ at: T0 + 10 })))!;
      const archived = await s.archiveExit(id, T0 + 20);
      expect(archived).toEqual({ ...finished, archivedAt: T0 + 20 });
      expect(await s.getExit(id)).toBeUndefined();
      expect(await s.archiveExit(id, T0 + 21)).toBeUndefined();

      const next = await s.startExit(id, T0 + 30);
      expect(next).toMatchObject({ created: true, record: { kind: 'full', initiatedAt: T0 + 30, piecesQueued: 0, finishedAt: null } });
      await s.finishExit(id, finish({ at: T0 + 40, outcome: 'failed', reason: 'ONLINE_SCORE_TOO_LOW' }));

      const nodes = (records: ExitRecord[]) => records.map((r) => [hex(r.nodeId), r.initiatedAt, r.archivedAt]);
      expect(nodes(await s.listExits({ nodeId: id }))).toEqual([[hex(id), T0, T0 + 20], [hex(id), T0 + 30, null]]);
      expect(nodes(await s.listExits())).toEqual([[hex(id), T0, T0 + 20], [hex(other), T0 + 1, null], [hex(id), T0 + 30, null]]);
      expect(nodes(await s.listExits({ unfinished: true }))).toEqual([[hex(other), T0 + 1, null]]);
      expect(nodes(await s.listExits({ finishedFrom: T0 + 5, finishedTo: T0 + 11 }))).toEqual([[hex(id), T0, T0 + 20]]);
      expect(nodes(await s.listExits({ finishedFrom: T0 + 11, nodeId: id }))).toEqual([[hex(id), T0 + 30, null]]);
      expect(await s.listExits({ nodeId: nodeId() })).toEqual([]);
      expect((await s.listExits({ nodeId: id }))[0]).toEqual(archived);
    });

    it("keeps, for a partial exit, the healthiest segments' pieces up to its target, all as transfers", async () => {
      const s = await open();
      const id = nodeId();
      await s.startExit(id, T0, { kind: 'partial', targetBytes: 250, policy: 'transfer' });
      const pieces = [
        item({ pieceSize: 100, durability: 0.5 }),
        item({ pieceSize: 100, durability: 0.9, drop: true }),
        item({ pieceSize: 100, durability: 0.7 }),
        item({ pieceSize: 100, durability: 0.3 }),
        item({ pieceSize: 100, durability: 0.1 }),
      ];
      await s.enqueue(id, pieces, cursor(1));
      expect(await s.getExit(id)).toMatchObject({ piecesQueued: 5, startingBytes: 500 });
      await s.finishGathering(id, T0 + 1);
      // 0.9, 0.7, then 0.5 reaches 250 bytes (at least the target); the rest leave uncounted.
      expect(await s.getExit(id)).toMatchObject({ piecesQueued: 3, startingBytes: 300, gatheredAt: T0 + 1 });
      const kept = await s.nextItems(id, 10, []);
      expect(pieceIds(kept)).toEqual(pieceIds([pieces[0]!, pieces[2]!, pieces[1]!]));
      expect(kept.every((i) => !i.drop)).toBe(true);
      // Once gathered, it stays as it is.
      await s.finishGathering(id, T0 + 2);
      expect(await s.queueLength(id)).toBe(3);

      // A node holding less than its target moves all it holds.
      const small = nodeId();
      await s.startExit(small, T0, { kind: 'partial', targetBytes: 10_000, policy: 'transfer' });
      await s.enqueue(small, [item({ pieceSize: 10 }), item({ pieceSize: 20, drop: true })], cursor(1));
      await s.finishGathering(small, T0 + 1);
      expect(await s.getExit(small)).toMatchObject({ piecesQueued: 2, startingBytes: 30 });
      // A full exit keeps every piece, drops included.
      const full = await exiting(s);
      await s.enqueue(full, [item({ drop: true }), item()], cursor(1));
      await s.finishGathering(full, T0 + 1);
      expect((await s.nextItems(full, 10, [])).map((i) => i.drop)).toEqual([true, false]);
    });

    it('lets exactly one of racing starts create the exit', async () => {
      const s = await open();
      const id = nodeId();
      const results = await Promise.all([0, 1, 2, 3].map((i) => s.startExit(id, T0 + i)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const winner = results.find((r) => r.created)!.record;
      for (const r of results) expect(r.record).toEqual(winner);
    });

    it('queues a batch with every field as given, moving the cursor and counting its pieces and bytes', async () => {
      const s = await open();
      const id = await exiting(s);
      const a = item({ pieceNumber: 79, position: { part: 7, index: 2 ** 32 - 1 }, pieceSize: 2 ** 40, durability: 1 / 3, queuedAt: T0 + 5 });
      const b = item({ pieceSize: 2_318, durability: 0.8125, drop: true, pieceNumber: 0 });
      const at = cursor(41);
      await s.enqueue(id, [a, b], at);

      const record = await s.getExit(id);
      expect(record).toMatchObject({ gatherCursor: at, piecesQueued: 2, startingBytes: 2 ** 40 + 2_318, gatheredAt: null });
      const unsent = { failedCount: 0, sendCount: 0, lastFailedAt: null, lastFailedCode: null, triedNodes: [] };
      expect(await s.getItem(id, a.pieceId)).toEqual({ ...a, nodeId: id, ...unsent });
      expect(await s.getItem(id, b.pieceId)).toEqual({ ...b, nodeId: id, ...unsent });
      expect(await s.getItem(nodeId(), a.pieceId)).toBeUndefined();
      expect(await s.queueLength(id)).toBe(2);
      expect(await s.queueLength(nodeId())).toBe(0);
    });

    it('never queues or counts a piece twice: a repeat keeps its row with the lower durability, and only new pieces add bytes', async () => {
      const s = await open();
      const id = await exiting(s);
      const a = item({ pieceSize: 100, durability: 0.6 });
      const b = item({ pieceSize: 200, durability: 0.4 });
      await s.enqueue(id, [a, b], cursor(1));
      const c = item({ pieceSize: 300 });
      // A resumed gathering re-reads segments: `a` again (lower), `b` again (higher), `c` new, and `c` twice in one batch.
      const again = { ...a, durability: 0.25, pieceSize: 9_999, queuedAt: T0 + MINUTE, drop: true };
      const second = cursor(2);
      await s.enqueue(id, [again, { ...b, durability: 0.9 }, c, { ...c, durability: 0.75 }], second);

      expect(await s.getExit(id)).toMatchObject({ piecesQueued: 3, startingBytes: 600, gatherCursor: second });
      expect(await s.getItem(id, a.pieceId)).toMatchObject({ durability: 0.25, pieceSize: 100, queuedAt: T0, drop: false });
      expect(await s.getItem(id, b.pieceId)).toMatchObject({ durability: 0.4 });
      expect(await s.getItem(id, c.pieceId)).toMatchObject({ durability: 0.5, pieceSize: 300 });
      expect(await s.queueLength(id)).toBe(3);

      // Once finished a piece is no longer queued: found again, it is a new row and counts again.
      await s.finishItem(id, b.pieceId, { kind: 'dropped' }, T0 + 1);
      await s.enqueue(id, [b], cursor(3));
      expect(await s.getExit(id)).toMatchObject({ piecesQueued: 4, startingBytes: 800, piecesDropped: 1 });
      expect(await s.queueLength(id)).toBe(3);
    });

    it('moves the cursor forward batch by batch, and an empty batch still moves it', async () => {
      const s = await open();
      const id = await exiting(s);
      const stream = randomBytes(16);
      await s.enqueue(id, [item()], cursor(5, stream));
      expect((await s.getExit(id))?.gatherCursor).toEqual(cursor(5, stream));
      const other = { streamId: randomBytes(16), position: { part: 2, index: 0 } };
      await s.enqueue(id, [], other);
      expect((await s.getExit(id))?.gatherCursor).toEqual(other);
    });

    it('ignores batches for an unknown or finished exit', async () => {
      const s = await open();
      const unknown = nodeId();
      await s.enqueue(unknown, [item()], cursor());
      expect(await s.getExit(unknown)).toBeUndefined();
      expect(await s.queueLength(unknown)).toBe(0);

      const id = await exiting(s);
      await s.finishExit(id, finish());
      const before = await s.getExit(id);
      await s.enqueue(id, [item()], cursor(9));
      expect(await s.getExit(id)).toEqual(before);
      expect(await s.queueLength(id)).toBe(0);
    });

    it('marks gathering finished once: the first time stays', async () => {
      const s = await open();
      const id = await exiting(s);
      await s.finishGathering(id, T0 + MINUTE);
      await s.finishGathering(id, T0 + 2 * MINUTE);
      expect((await s.getExit(id))?.gatheredAt).toBe(T0 + MINUTE);
      await s.finishGathering(nodeId(), T0); // unknown: nothing to do
    });

    it('hands out drops first, then the lowest durability, then by piece id, skipping the ones in flight', async () => {
      const s = await open();
      const id = await exiting(s);
      const other = await exiting(s);
      const ids = Array.from({ length: 6 }, () => randomBytes(32)).sort(compareBytes);
      const items = [
        item({ pieceId: ids[0]!, durability: 0.9 }),
        item({ pieceId: ids[1]!, durability: 0.2 }),
        item({ pieceId: ids[2]!, durability: 0.9, drop: true }),
        item({ pieceId: ids[3]!, durability: 0.2 }),
        item({ pieceId: ids[4]!, durability: 0.1, drop: true }),
        item({ pieceId: ids[5]!, durability: 0.05 }),
      ];
      await s.enqueue(id, [...items].reverse(), cursor());
      await s.enqueue(other, [item({ durability: 0 })], cursor());

      const order = [ids[4]!, ids[2]!, ids[5]!, ids[1]!, ids[3]!, ids[0]!].map(hex);
      expect(pieceIds(await s.nextItems(id, 10, []))).toEqual(order);
      expect(pieceIds(await s.nextItems(id, 3, []))).toEqual(order.slice(0, 3));
      expect(pieceIds(await s.nextItems(id, 3, [ids[2]!, ids[5]!, randomBytes(32)]))).toEqual([order[0], order[3], order[4]]);
      expect(await s.nextItems(id, 0, [])).toEqual([]);
      expect(await s.nextItems(nodeId(), 5, [])).toEqual([]);
      const [first] = await s.nextItems(id, 1, []);
      expect(first).toEqual(await s.getItem(id, ids[4]!));
    });

    it('records each order limit sent: the send count grows and each replacement node is remembered in order', async () => {
      const s = await open();
      const id = await exiting(s);
      const piece = item();
      await s.enqueue(id, [piece], cursor());
      const [r1, r2] = [nodeId(), nodeId()];
      expect(await s.recordSend(id, piece.pieceId, r1)).toMatchObject({ sendCount: 1, triedNodes: [r1] });
      const after = await s.recordSend(id, piece.pieceId, r2);
      expect(after).toMatchObject({ sendCount: 2, triedNodes: [r1, r2], failedCount: 0 });
      expect(await s.getItem(id, piece.pieceId)).toEqual(after);
      expect(await s.recordSend(id, randomBytes(32), r1)).toBeUndefined();
      expect(await s.recordSend(nodeId(), piece.pieceId, r1)).toBeUndefined();
      // Node ids are bytes, not text: zeros, and bytes no UTF-8 text has, are kept as they are.
      const [zeros, high] = [new Uint8Array(32), new Uint8Array(32).fill(0xff)];
      await s.recordSend(id, piece.pieceId, zeros);
      expect((await s.recordSend(id, piece.pieceId, high))?.triedNodes).toEqual([r1, r2, zeros, high]);
    });

    it("records failures, counting only those that are the exiting node's fault", async () => {
      const s = await open();
      const id = await exiting(s);
      const piece = item();
      await s.enqueue(id, [piece], cursor());
      const unreachable = await s.recordFailure(id, piece.pieceId, { code: 'STORAGE_NODE_UNAVAILABLE', at: T0 + 1, counts: false });
      expect(unreachable).toMatchObject({ failedCount: 0, lastFailedAt: T0 + 1, lastFailedCode: 'STORAGE_NODE_UNAVAILABLE' });
      const bad = await s.recordFailure(id, piece.pieceId, { code: 'HASH_VERIFICATION', at: T0 + 2, counts: true });
      expect(bad).toMatchObject({ failedCount: 1, lastFailedAt: T0 + 2, lastFailedCode: 'HASH_VERIFICATION' });
      expect(await s.getItem(id, piece.pieceId)).toEqual(bad);
      expect(await s.recordFailure(id, randomBytes(32), { code: 'UNKNOWN', at: T0, counts: true })).toBeUndefined();
    });

    it('finishes an item once, counting it as transferred, dropped or failed; a repeat counts nothing', async () => {
      const s = await open();
      const id = await exiting(s);
      const [a, b, c] = [item(), item(), item()];
      await s.enqueue(id, [a, b, c], cursor());
      expect(await s.finishItem(id, a.pieceId, { kind: 'transferred', bytes: 2 ** 33 }, T0 + 3 * MINUTE)).toBe(true);
      expect(await s.finishItem(id, b.pieceId, { kind: 'dropped' }, T0 + MINUTE)).toBe(true);
      expect(await s.finishItem(id, c.pieceId, { kind: 'failed' }, T0 + 2 * MINUTE)).toBe(true);
      expect(await s.finishItem(id, a.pieceId, { kind: 'transferred', bytes: 5 }, T0 + 4 * MINUTE)).toBe(false);
      expect(await s.finishItem(id, randomBytes(32), { kind: 'failed' }, T0 + 4 * MINUTE)).toBe(false);
      expect(await s.finishItem(nodeId(), a.pieceId, { kind: 'dropped' }, T0)).toBe(false);

      expect(await s.getExit(id)).toMatchObject({
        piecesQueued: 3,
        piecesTransferred: 1,
        bytesTransferred: 2 ** 33,
        piecesDropped: 1,
        piecesFailed: 1,
        lastActivityAt: T0 + 3 * MINUTE,
      });
      expect(await s.getItem(id, a.pieceId)).toBeUndefined();
      expect(await s.queueLength(id)).toBe(0);
    });

    it('counts an item finished by several concurrent calls exactly once', async () => {
      const s = await open();
      const id = await exiting(s);
      const piece = item();
      await s.enqueue(id, [piece, item()], cursor());
      const results: FinishedItem[] = [
        { kind: 'transferred', bytes: 1000 },
        { kind: 'transferred', bytes: 1000 },
        { kind: 'dropped' },
        { kind: 'failed' },
        { kind: 'transferred', bytes: 1000 },
      ];
      const won = await Promise.all(results.map((r, i) => s.finishItem(id, piece.pieceId, r, T0 + i)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const record = (await s.getExit(id))!;
      expect(record.piecesTransferred + record.piecesDropped + record.piecesFailed).toBe(1);
      expect(record.bytesTransferred).toBe(record.piecesTransferred * 1000);
      expect(await s.queueLength(id)).toBe(1);
    });

    it('keeps the last activity time from moving backwards', async () => {
      const s = await open();
      const id = await exiting(s);
      await s.touch(id, T0 + 10 * MINUTE);
      await s.touch(id, T0 + 5 * MINUTE);
      expect((await s.getExit(id))?.lastActivityAt).toBe(T0 + 10 * MINUTE);
      const piece = item();
      await s.enqueue(id, [piece], cursor());
      await s.finishItem(id, piece.pieceId, { kind: 'dropped' }, T0 + MINUTE);
      expect((await s.getExit(id))?.lastActivityAt).toBe(T0 + 10 * MINUTE);
      await s.touch(id, T0 + 11 * MINUTE);
      expect((await s.getExit(id))?.lastActivityAt).toBe(T0 + 11 * MINUTE);
      await s.touch(nodeId(), T0); // unknown: nothing to do
    });

    it('finishes an exit once, keeping its outcome and receipt and dropping what was left queued', async () => {
      const s = await open();
      const id = await exiting(s);
      const [a, b] = [item(), item()];
      await s.enqueue(id, [a, b], cursor());
      await s.finishItem(id, a.pieceId, { kind: 'failed' }, T0 + 1);
      const how = finish({ outcome: 'failed', reason: 'OVERALL_FAILURE_PERCENTAGE_EXCEEDED', detail: '1 of 2 pieces failed — "50%"' });
      const finished = await s.finishExit(id, how);
      expect(finished).toMatchObject({
        nodeId: id,
        finishedAt: how.at,
        outcome: 'failed',
        failureReason: 'OVERALL_FAILURE_PERCENTAGE_EXCEEDED',
        failureDetail: '1 of 2 pieces failed — "50%"',
        receipt: how.receipt,
        piecesQueued: 2,
        piecesFailed: 1,
      });
      expect(await s.getExit(id)).toEqual(finished);
      expect(await s.queueLength(id)).toBe(0);
      expect(await s.nextItems(id, 10, [])).toEqual([]);
      expect(await s.finishItem(id, b.pieceId, { kind: 'transferred', bytes: 1 }, T0 + 2)).toBe(false);

      expect(await s.finishExit(id, finish({ at: how.at + 1 }))).toBeUndefined();
      expect(await s.getExit(id)).toEqual(finished);
      expect(await s.finishExit(nodeId(), finish())).toBeUndefined();
      expect(await s.startExit(id, T0 + 999 * MINUTE)).toEqual({ record: finished, created: false });
    });

    it('lets exactly one of two racing finishes win, and the queue ends empty', async () => {
      const s = await open();
      const id = await exiting(s);
      await s.enqueue(id, Array.from({ length: 20 }, () => item()), cursor());
      const completed = finish();
      const failed = finish({ outcome: 'failed', reason: 'VERIFICATION_FAILED', detail: 'forged hash' });
      const results = await Promise.all([s.finishExit(id, completed), s.finishExit(id, failed)]);
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await s.getExit(id)).toEqual(winners[0]);
      expect(await s.queueLength(id)).toBe(0);
    });

    it('lists exits by initiation time then node id, filtered by finish', async () => {
      const s = await open();
      const ids = Array.from({ length: 3 }, nodeId).sort(compareBytes);
      const [early, lateA, lateB] = [ids[2]!, ids[0]!, ids[1]!];
      const open1 = nodeId();
      await s.startExit(lateB, T0 + 2);
      await s.startExit(early, T0);
      await s.startExit(lateA, T0 + 2);
      await s.startExit(open1, T0 + 1);
      await s.finishExit(early, finish({ at: T0 + 10 }));
      await s.finishExit(lateA, finish({ at: T0 + 20 }));
      await s.finishExit(lateB, finish({ at: T0 + 30, outcome: 'failed', reason: 'INACTIVE_TIMEFRAME_EXCEEDED' }));

      const nodes = (records: ExitRecord[]) => records.map((r) => hex(r.nodeId));
      expect(nodes(await s.listExits())).toEqual([early, open1, lateA, lateB].map(hex));
      expect(nodes(await s.listExits({}))).toEqual([early, open1, lateA, lateB].map(hex));
      expect(nodes(await s.listExits({ unfinished: true }))).toEqual([hex(open1)]);
      expect(nodes(await s.listExits({ unfinished: false }))).toHaveLength(4);
      expect(nodes(await s.listExits({ finishedFrom: T0 + 20 }))).toEqual([lateA, lateB].map(hex));
      expect(nodes(await s.listExits({ finishedTo: T0 + 20 }))).toEqual([hex(early)]);
      expect(nodes(await s.listExits({ finishedFrom: T0 + 10, finishedTo: T0 + 30 }))).toEqual([early, lateA].map(hex));
      expect(await s.listExits({ unfinished: true, finishedFrom: T0 })).toEqual([]);
    });

    it('refuses malformed ids and values with InvalidArgument, changing nothing', async () => {
      const s = await open();
      const id = await exiting(s);
      const piece = item();
      await s.enqueue(id, [piece], cursor(1));
      const before = await s.getExit(id);
      const beforeItem = await s.getItem(id, piece.pieceId);
      const short = new Uint8Array(31);
      const invalid = { name: 'InvalidArgumentError' };

      await expect(s.startExit(short, T0)).rejects.toMatchObject(invalid);
      await expect(s.startExit(nodeId(), -1)).rejects.toMatchObject(invalid);
      await expect(s.getExit(new Uint8Array(33))).rejects.toMatchObject(invalid);
      await expect(s.enqueue(short, [item()], cursor())).rejects.toMatchObject(invalid);
      // One bad item refuses the whole batch.
      await expect(s.enqueue(id, [item(), item({ pieceId: short })], cursor(2))).rejects.toMatchObject(invalid);
      await expect(s.enqueue(id, [item({ rootPieceId: short })], cursor(2))).rejects.toMatchObject(invalid);
      await expect(s.enqueue(id, [item({ durability: Number.NaN })], cursor(2))).rejects.toMatchObject(invalid);
      await expect(s.enqueue(id, [item({ pieceSize: -1 })], cursor(2))).rejects.toMatchObject(invalid);
      await expect(s.enqueue(id, [item()], { streamId: new Uint8Array(3), position: { part: 0, index: 0 } })).rejects.toMatchObject(invalid);
      await expect(s.nextItems(id, -1, [])).rejects.toMatchObject(invalid);
      await expect(s.nextItems(id, 1, [short])).rejects.toMatchObject(invalid);
      await expect(s.getItem(id, short)).rejects.toMatchObject(invalid);
      await expect(s.queueLength(short)).rejects.toMatchObject(invalid);
      await expect(s.recordSend(id, piece.pieceId, short)).rejects.toMatchObject(invalid);
      await expect(s.recordSend(id, short, nodeId())).rejects.toMatchObject(invalid);
      await expect(s.recordFailure(id, piece.pieceId, { code: 'LOST' as never, at: T0, counts: true })).rejects.toMatchObject(invalid);
      await expect(s.finishItem(id, short, { kind: 'dropped' }, T0)).rejects.toMatchObject(invalid);
      await expect(s.finishItem(id, piece.pieceId, { kind: 'transferred', bytes: -5 }, T0)).rejects.toMatchObject(invalid);
      await expect(s.finishItem(id, piece.pieceId, { kind: 'gone' } as never, T0)).rejects.toMatchObject(invalid);
      await expect(s.touch(short, T0)).rejects.toMatchObject(invalid);
      await expect(s.finishGathering(short, T0)).rejects.toMatchObject(invalid);
      await expect(s.finishExit(short, finish())).rejects.toMatchObject(invalid);
      await expect(s.finishExit(id, finish({ outcome: 'abandoned' as never }))).rejects.toMatchObject(invalid);
      await expect(s.finishExit(id, finish({ outcome: 'failed', reason: 'BORED' as never }))).rejects.toMatchObject(invalid);
      await expect(s.listExits({ finishedFrom: -3 })).rejects.toMatchObject(invalid);
      await expect(s.listExits({ nodeId: short })).rejects.toMatchObject(invalid);
      await expect(s.archiveExit(short, T0)).rejects.toMatchObject(invalid);
      const fresh = nodeId();
      await expect(s.startExit(fresh, T0, { kind: 'partial', targetBytes: null, policy: 'transfer' })).rejects.toMatchObject(invalid);
      await expect(s.startExit(fresh, T0, { kind: 'partial', targetBytes: 0, policy: 'transfer' })).rejects.toMatchObject(invalid);
      await expect(s.startExit(fresh, T0, { kind: 'partial', targetBytes: 10, policy: 'time-based' })).rejects.toMatchObject(invalid);
      await expect(s.startExit(fresh, T0, { kind: 'full', targetBytes: 10, policy: 'transfer' })).rejects.toMatchObject(invalid);
      await expect(s.startExit(fresh, T0, { kind: 'most' as never, targetBytes: null, policy: 'transfer' })).rejects.toMatchObject(invalid);
      await expect(s.startExit(fresh, T0, { kind: 'full', targetBytes: null, policy: 'lazy' as never })).rejects.toMatchObject(invalid);
      expect(await s.getExit(fresh)).toBeUndefined();

      expect(await s.getExit(id)).toEqual(before);
      expect(await s.getItem(id, piece.pieceId)).toEqual(beforeItem);
      expect(await s.queueLength(id)).toBe(1);
    });

    it('keeps its counters consistent over random sequences of batches and finishes', async () => {
      const s = await open();
      for (let seed = 1; seed <= 12; seed++) {
        const random = seeded(seed);
        const id = await exiting(s);
        const pool = Array.from({ length: 8 }, () => item({ pieceSize: 1 + random(5000), durability: random(100) / 100 }));
        const queued = new Set<string>();
        let counted = 0;
        let finished = 0;
        let bytes = 0;
        for (let step = 0; step < 25; step++) {
          if (random(3) === 0) {
            const piece = pool[random(pool.length)]!;
            const kinds: FinishedItem[] = [{ kind: 'transferred', bytes: piece.pieceSize }, { kind: 'dropped' }, { kind: 'failed' }];
            const done = await s.finishItem(id, piece.pieceId, kinds[random(3)]!, T0 + step);
            expect(done, `seed ${seed} step ${step}: finishItem`).toBe(queued.delete(hex(piece.pieceId)));
            if (done) finished++;
          } else {
            const batch = Array.from({ length: random(4) }, () => pool[random(pool.length)]!);
            for (const p of batch) {
              if (queued.has(hex(p.pieceId))) continue;
              queued.add(hex(p.pieceId));
              counted++;
              bytes += p.pieceSize;
            }
            await s.enqueue(id, batch, cursor(step));
          }
          const record = (await s.getExit(id))!;
          const done = record.piecesTransferred + record.piecesDropped + record.piecesFailed;
          expect(done, `seed ${seed} step ${step}: finished ≤ queued`).toBeLessThanOrEqual(record.piecesQueued);
          expect(await s.queueLength(id), `seed ${seed} step ${step}: queue length`).toBe(record.piecesQueued - done);
          expect(record).toMatchObject({ piecesQueued: counted, startingBytes: bytes });
          expect(done).toBe(finished);
        }
      }
    });

    if (setup.reopen) {
      const reopen = setup.reopen.bind(setup);
      it('keeps exits, queues and counters across a reopen', async () => {
        const s = await open();
        const id = await exiting(s);
        const done = await exiting(s);
        const [a, b] = [item({ durability: 0.125 }), item()];
        await s.enqueue(id, [a, b], cursor(4));
        await s.recordSend(id, a.pieceId, nodeId());
        await s.recordFailure(id, a.pieceId, { code: 'NOT_FOUND', at: T0 + 1, counts: true });
        await s.finishItem(id, b.pieceId, { kind: 'transferred', bytes: 1024 }, T0 + 2);
        await s.finishGathering(id, T0 + 3);
        await s.finishExit(done, finish());
        const gone = await exiting(s);
        await s.finishExit(gone, finish());
        await s.archiveExit(gone, T0 + 99);
        const { record: partial } = await s.startExit(gone, T0 + 100, { kind: 'partial', targetBytes: 7, policy: 'transfer' });
        const record = await s.getExit(id);
        const finishedRecord = await s.getExit(done);
        const goneHistory = await s.listExits({ nodeId: gone });
        const queued = await s.getItem(id, a.pieceId);

        const again = (store = await reopen(s));
        expect(await again.getExit(id)).toEqual(record);
        expect(await again.getExit(done)).toEqual(finishedRecord);
        expect(await again.getExit(gone)).toEqual(partial);
        expect(await again.listExits({ nodeId: gone })).toEqual(goneHistory);
        expect(await again.getItem(id, a.pieceId)).toEqual(queued);
        expect(await again.nextItems(id, 10, [])).toEqual([queued]);
      });
    }
  });
}
