/**
 * The `NodeExitStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run it,
 * and so should a store you write:
 *
 * ```ts
 * import { nodeExitStoreSuite } from 'handoff/testing';
 * nodeExitStoreSuite({
 *   name: 'my store',
 *   open: async () => MyNodeExitStore.open(freshDatabase()),
 *   reopen: async (store) => { await store.close(); return MyNodeExitStore.open(sameDatabase()); },
 * });
 * ```
 *
 * It checks that starting is idempotent (start time and starting bytes never move), that counters
 * only grow, and only while exiting (deletions count whatever the state), that finishing is a
 * compare-and-swap (one of racing finishes wins), that a wipe is recorded only after the end,
 * listing order, refusal of malformed input without a change and, when `reopen` is given,
 * durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compareBytes, toHex } from '../core/bytes.js';
import { getCryptoProvider } from '../crypto/select.js';
import type { NodeExitFinish, NodeExitStore } from '../exit/node-store.js';
import type { NodeExitStatus } from '../exit/types.js';

/** How {@link nodeExitStoreSuite} opens the store under test. */
export interface NodeExitStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<NodeExitStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: NodeExitStore): Promise<NodeExitStore>;
}

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

const satelliteId = (): Uint8Array => getCryptoProvider().randomBytes(32);

function finish(overrides: Partial<NodeExitFinish> = {}): NodeExitFinish {
  return { state: 'completed', failureReason: null, receipt: getCryptoProvider().randomBytes(96), at: T0 + HOUR, ...overrides };
}

/** Registers the store contract tests for one implementation. */
export function nodeExitStoreSuite(setup: NodeExitStoreSuiteSetup): void {
  describe(`node exit store: ${setup.name}`, () => {
    let store: NodeExitStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const open = async (): Promise<NodeExitStore> => (store = await setup.open());

    it('starts an exit once: a later start returns it unchanged, keeping when it started and the bytes held then', async () => {
      const s = await open();
      const id = satelliteId();
      const expected: NodeExitStatus = {
        satelliteId: id,
        state: 'exiting',
        kind: 'full',
        targetBytes: null,
        policy: 'transfer',
        bandwidth: null,
        startedAt: T0,
        startingBytes: 2 ** 41 + 5,
        bytesTransferred: 0,
        piecesTransferred: 0,
        piecesFailed: 0,
        bytesDeleted: 0,
        piecesDeleted: 0,
        finishedAt: null,
        failureReason: null,
        receipt: null,
        wiped: false,
        archivedAt: null,
      };
      expect(await s.start(id, 2 ** 41 + 5, T0)).toEqual(expected);
      await s.addTransferred(id, 10);
      expect(await s.start(id, 7, T0 + HOUR)).toEqual({ ...expected, bytesTransferred: 10, piecesTransferred: 1 });
      expect(await s.get(id)).toEqual({ ...expected, bytesTransferred: 10, piecesTransferred: 1 });
      expect(await s.get(satelliteId())).toBeUndefined();
    });

    it('records what kind of exit starts: a partial one with its target, the policy, the bandwidth choice', async () => {
      const s = await open();
      const [a, b] = [satelliteId(), satelliteId()];
      const partial = await s.start(a, 500, T0, { kind: 'partial', targetBytes: 2 ** 40 + 3, policy: 'transfer', bandwidth: 'wait' });
      expect(partial).toMatchObject({ kind: 'partial', targetBytes: 2 ** 40 + 3, policy: 'transfer', bandwidth: 'wait', startingBytes: 500 });
      expect(await s.start(a, 9, T0 + 1)).toEqual(partial);
      expect(await s.start(b, 0, T0, { kind: 'full', targetBytes: null, policy: 'time-based', bandwidth: 'exceed' })).toMatchObject({
        kind: 'full', targetBytes: null, policy: 'time-based', bandwidth: 'exceed',
      });
    });

    it('archives a finished exit so another can start, and lists the archive', async () => {
      const s = await open();
      const [a, b] = [satelliteId(), satelliteId()];
      await s.start(a, 500, T0, { kind: 'partial', targetBytes: 100, policy: 'transfer', bandwidth: null });
      await s.start(b, 700, T0 + 1);
      expect(await s.archive(a, T0 + 2)).toBe(false); // still exiting
      expect(await s.archive(satelliteId(), T0 + 2)).toBe(false);
      expect(await s.history()).toEqual([]);
      await s.addDeleted(a, 100);
      const finished = (await s.finish(a, finish({ at: T0 + 10 })))!;
      expect(await s.archive(a, T0 + 20)).toBe(true);
      expect(await s.get(a)).toBeUndefined();
      expect(await s.archive(a, T0 + 21)).toBe(false);
      expect(await s.history(a)).toEqual([{ ...finished, archivedAt: T0 + 20 }]);

      const again = await s.start(a, 400, T0 + 30);
      expect(again).toMatchObject({ kind: 'full', state: 'exiting', startedAt: T0 + 30, startingBytes: 400, bytesDeleted: 0, archivedAt: null });
      await s.finish(a, finish({ state: 'failed', failureReason: 'DISQUALIFIED', at: T0 + 40 }));
      await s.markWiped(a);
      await s.archive(a, T0 + 50);
      expect((await s.history(a)).map((h) => [h.startedAt, h.state, h.archivedAt, h.wiped])).toEqual([[T0, 'completed', T0 + 20, false], [T0 + 30, 'failed', T0 + 50, true]]);
      expect(await s.history(b)).toEqual([]);
      expect(await s.history()).toHaveLength(2);
      expect((await s.list()).map((x) => toHex(x.satelliteId))).toEqual([toHex(b)]);
    });

    it('agrees on one start when starts race', async () => {
      const s = await open();
      const id = satelliteId();
      const results = await Promise.all([1, 2, 3].map((i) => s.start(id, i * 100, T0 + i)));
      for (const r of results) expect(r).toEqual(results[0]);
      expect(await s.get(id)).toEqual(results[0]);
    });

    it('adds transfers, failures and deletions; counters only grow', async () => {
      const s = await open();
      const id = satelliteId();
      await s.start(id, 10_000, T0);
      await s.addTransferred(id, 2 ** 33);
      await s.addTransferred(id, 0);
      await s.addFailed(id);
      await s.addDeleted(id, 700);
      await s.addDeleted(id, 300);
      await Promise.all([s.addTransferred(id, 1), s.addTransferred(id, 1), s.addFailed(id), s.addDeleted(id, 1)]);
      expect(await s.get(id)).toMatchObject({
        state: 'exiting',
        bytesTransferred: 2 ** 33 + 2,
        piecesTransferred: 4,
        piecesFailed: 2,
        bytesDeleted: 1001,
        piecesDeleted: 3,
      });
      // Counting for a satellite never started changes nothing (and creates nothing).
      const unknown = satelliteId();
      await s.addTransferred(unknown, 5);
      await s.addFailed(unknown);
      await s.addDeleted(unknown, 5);
      expect(await s.get(unknown)).toBeUndefined();
    });

    it('finishes an exiting exit once: the first finish wins', async () => {
      const s = await open();
      const id = satelliteId();
      await s.start(id, 100, T0);
      await s.addTransferred(id, 40);
      const how = finish({ state: 'failed', failureReason: 'OVERALL_FAILURE_PERCENTAGE_EXCEEDED: 3 of 10 — "30%"' });
      const finished = await s.finish(id, how);
      expect(finished).toMatchObject({
        state: 'failed',
        failureReason: how.failureReason,
        receipt: how.receipt,
        finishedAt: how.at,
        startedAt: T0,
        bytesTransferred: 40,
        wiped: false,
      });
      expect(await s.get(id)).toEqual(finished);
      expect(await s.finish(id, finish())).toBeUndefined();
      expect(await s.get(id)).toEqual(finished);
      expect(await s.finish(satelliteId(), finish())).toBeUndefined();
      expect(await s.start(id, 5, T0 + 2 * HOUR)).toEqual(finished);
    });

    it('lets exactly one of two racing finishes win', async () => {
      const s = await open();
      const id = satelliteId();
      await s.start(id, 100, T0);
      const results = await Promise.all([s.finish(id, finish()), s.finish(id, finish({ state: 'failed', failureReason: 'DISQUALIFIED' }))]);
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await s.get(id)).toEqual(winners[0]);
    });

    it('ignores transfers and failures after the end, but still counts deletions (the wipe)', async () => {
      const s = await open();
      const id = satelliteId();
      await s.start(id, 100, T0);
      await s.addTransferred(id, 60);
      await s.addDeleted(id, 60);
      const finished = (await s.finish(id, finish()))!;
      await s.addTransferred(id, 40);
      await s.addFailed(id);
      await s.addDeleted(id, 40);
      expect(await s.get(id)).toEqual({ ...finished, bytesDeleted: 100, piecesDeleted: 2 });
    });

    it('records a wipe only once the exit has finished', async () => {
      const s = await open();
      const id = satelliteId();
      await s.start(id, 100, T0);
      await s.markWiped(id);
      expect((await s.get(id))?.wiped).toBe(false);
      await s.finish(id, finish({ state: 'failed', failureReason: 'VERIFICATION_FAILED' }));
      await s.markWiped(id);
      await s.markWiped(id);
      expect(await s.get(id)).toMatchObject({ state: 'failed', wiped: true });
      await s.markWiped(satelliteId()); // unknown: nothing to do
    });

    it('lists every exit, oldest first', async () => {
      const s = await open();
      const ids = Array.from({ length: 3 }, satelliteId).sort(compareBytes);
      await s.start(ids[2]!, 1, T0);
      await s.start(ids[1]!, 1, T0 + 5);
      await s.start(ids[0]!, 1, T0 + 5);
      await s.finish(ids[2]!, finish());
      expect((await s.list()).map((e) => toHex(e.satelliteId))).toEqual([ids[2]!, ids[0]!, ids[1]!].map(toHex));
      expect((await s.list())[0]).toEqual(await s.get(ids[2]!));
    });

    it('refuses malformed ids and values with InvalidArgument, changing nothing', async () => {
      const s = await open();
      const id = satelliteId();
      await s.start(id, 100, T0);
      const before = await s.get(id);
      const short = new Uint8Array(31);
      const invalid = { name: 'InvalidArgumentError' };
      await expect(s.start(short, 1, T0)).rejects.toMatchObject(invalid);
      await expect(s.start(satelliteId(), -1, T0)).rejects.toMatchObject(invalid);
      await expect(s.start(satelliteId(), 1.5, T0)).rejects.toMatchObject(invalid);
      await expect(s.get(new Uint8Array(33))).rejects.toMatchObject(invalid);
      await expect(s.addTransferred(short, 1)).rejects.toMatchObject(invalid);
      await expect(s.addTransferred(id, -1)).rejects.toMatchObject(invalid);
      await expect(s.addFailed(short)).rejects.toMatchObject(invalid);
      await expect(s.addDeleted(id, Number.NaN)).rejects.toMatchObject(invalid);
      await expect(s.finish(short, finish())).rejects.toMatchObject(invalid);
      await expect(s.finish(id, finish({ state: 'exiting' as never }))).rejects.toMatchObject(invalid);
      await expect(s.finish(id, finish({ receipt: 'signed' as never }))).rejects.toMatchObject(invalid);
      await expect(s.markWiped(short)).rejects.toMatchObject(invalid);
      await expect(s.archive(short, T0)).rejects.toMatchObject(invalid);
      await expect(s.history(short)).rejects.toMatchObject(invalid);
      const fresh = satelliteId();
      const full = { kind: 'full', targetBytes: null, policy: 'transfer', bandwidth: null } as const;
      await expect(s.start(fresh, 1, T0, { ...full, bandwidth: 'sometimes' as never })).rejects.toMatchObject(invalid);
      await expect(s.start(fresh, 1, T0, { ...full, kind: 'partial' })).rejects.toMatchObject(invalid);
      await expect(s.start(fresh, 1, T0, { ...full, targetBytes: 5 })).rejects.toMatchObject(invalid);
      await expect(s.start(fresh, 1, T0, { ...full, kind: 'partial', targetBytes: 5, policy: 'time-based' })).rejects.toMatchObject(invalid);
      expect(await s.get(fresh)).toBeUndefined();
      expect(await s.get(id)).toEqual(before);
      expect(await s.list()).toEqual([before]);
    });

    if (setup.reopen) {
      const reopen = setup.reopen.bind(setup);
      it('keeps exits across a reopen', async () => {
        const s = await open();
        const [a, b] = [satelliteId(), satelliteId()];
        await s.start(a, 500, T0);
        await s.addTransferred(a, 100);
        await s.start(b, 800, T0 + 1);
        await s.finish(b, finish());
        await s.markWiped(b);
        const c = satelliteId();
        await s.start(c, 5, T0 + 2, { kind: 'partial', targetBytes: 5, policy: 'transfer', bandwidth: 'wait' });
        await s.finish(c, finish());
        await s.archive(c, T0 + 3);
        const list = await s.list();
        const history = await s.history();
        const again = (store = await reopen(s));
        expect(await again.list()).toEqual(list);
        expect(await again.history()).toEqual(history);
      });
    }
  });
}
