/**
 * The `ContainmentStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run
 * it, and so should a store you write:
 *
 * ```ts
 * import { containmentStoreSuite } from 'handoff/testing';
 * containmentStoreSuite({ name: 'my store', open: async () => MyContainmentStore.open(freshDatabase()) });
 * ```
 *
 * It checks that containing is once per (node, segment) and keeps the count, that listing is
 * oldest first, that counting reverifications and releasing change exactly one record, refusal
 * of malformed input, and, when `reopen` is given, durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getCryptoProvider } from '../crypto/select.js';
import type { ContainmentStore } from '../durability/audit/containment-store.js';
import type { PendingAudit } from '../durability/audit/types.js';

/** How {@link containmentStoreSuite} opens the store under test. */
export interface ContainmentStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<ContainmentStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: ContainmentStore): Promise<ContainmentStore>;
}

const T0 = 1_700_000_000_000;
const random = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);

function pending(overrides: Partial<PendingAudit> = {}): PendingAudit {
  return { nodeId: random(32), streamId: random(16), position: { part: 0, index: 3 }, pieceNumber: 2, rootPieceId: random(32), reverifyCount: 0, containedAt: T0, ...overrides };
}

/** Registers the store contract tests for one implementation. */
export function containmentStoreSuite(setup: ContainmentStoreSuiteSetup): void {
  describe(`containment store: ${setup.name}`, () => {
    let store: ContainmentStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it('contains a node once per segment, keeping the first record and its count', async () => {
      store = await setup.open();
      const p = pending();
      expect(await store.contain(p)).toBe(true);
      await store.incrementReverify(p.nodeId, p.streamId, p.position);
      expect(await store.contain({ ...p, pieceNumber: 4, containedAt: T0 + 5 })).toBe(false);
      expect(await store.get(p.nodeId, p.streamId, p.position)).toEqual({ ...p, reverifyCount: 1 });
      const other = { ...p, position: { part: 0, index: 4 } };
      expect(await store.contain(other)).toBe(true);
      expect(await store.count()).toBe(2);
      expect(await store.listForNode(p.nodeId)).toHaveLength(2);
      expect(await store.listForNode(random(32))).toEqual([]);
    });

    it('lists oldest first, up to the limit', async () => {
      store = await setup.open();
      const items = [pending({ containedAt: T0 + 2 }), pending({ containedAt: T0 }), pending({ containedAt: T0 + 1 })];
      for (const p of items) await store.contain(p);
      expect((await store.list(10)).map((p) => p.containedAt)).toEqual([T0, T0 + 1, T0 + 2]);
      expect(await store.list(2)).toEqual([items[1], items[2]]);
    });

    it('counts reverifications and releases exactly one record', async () => {
      store = await setup.open();
      const a = pending();
      const b = pending({ nodeId: a.nodeId, streamId: a.streamId, position: { part: 1, index: 0 } });
      await store.contain(a);
      await store.contain(b);
      expect((await store.incrementReverify(a.nodeId, a.streamId, a.position))?.reverifyCount).toBe(1);
      expect((await store.incrementReverify(a.nodeId, a.streamId, a.position))?.reverifyCount).toBe(2);
      expect(await store.incrementReverify(random(32), a.streamId, a.position)).toBeUndefined();
      expect(await store.release(a.nodeId, a.streamId, a.position)).toBe(true);
      expect(await store.release(a.nodeId, a.streamId, a.position)).toBe(false);
      expect(await store.get(a.nodeId, a.streamId, a.position)).toBeUndefined();
      expect(await store.get(b.nodeId, b.streamId, b.position)).toEqual(b);
    });

    it('refuses malformed input without a change', async () => {
      store = await setup.open();
      await expect(store.contain(pending({ nodeId: random(31) }))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(store.contain(pending({ streamId: random(8) }))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(store.contain(pending({ pieceNumber: -1 }))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(store.list(0)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      expect(await store.count()).toBe(0);
    });

    if (setup.reopen) {
      it('keeps pending audits across a reopen', async () => {
        store = await setup.open();
        const p = pending({ reverifyCount: 2 });
        await store.contain(p);
        store = await setup.reopen!(store);
        expect(await store.get(p.nodeId, p.streamId, p.position)).toEqual(p);
      });
    }
  });
}
