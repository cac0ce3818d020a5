/**
 * The `OverlayStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run it,
 * and so should a store you write:
 *
 * ```ts
 * import { overlayStoreSuite } from 'handoff/testing';
 * overlayStoreSuite({
 *   name: 'my store',
 *   open: async () => MyOverlayStore.open(freshDatabase()),
 *   reopen: async (store) => { await store.close(); return MyOverlayStore.open(sameDatabase()); },
 * });
 * ```
 *
 * It checks check-in upserts (joinedAt and status kept, last contact never backwards), status
 * compare-and-swap (including racing changes and final states), upload selection (only active,
 * recent, roomy, not excluded, distinct, random, fewer when fewer qualify), download selection
 * (exiting nodes included) and, when `reopen` is given, durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../core/bytes.js';
import { getCryptoProvider } from '../crypto/select.js';
import type { OverlayStore } from '../overlay/port.js';
import type { NodeContact, NodeRecord } from '../overlay/types.js';

export interface OverlayStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<OverlayStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: OverlayStore): Promise<OverlayStore>;
}

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const WINDOW = 4 * HOUR;

function nodeId(): Uint8Array {
  return getCryptoProvider().randomBytes(32);
}

function contact(id: Uint8Array, overrides: Partial<NodeContact> = {}): NodeContact {
  return { id, address: '127.0.0.1:7777', wallet: '0xwallet', freeBytes: 2 ** 40, version: '1.2.3', at: T0, ...overrides };
}

function hex(id: Uint8Array): string {
  return toHex(id);
}

function ids(nodes: readonly NodeRecord[]): string[] {
  return nodes.map((n) => hex(n.id)).sort();
}

/** Registers the store contract tests for one implementation. */
export function overlayStoreSuite(setup: OverlayStoreSuiteSetup): void {
  describe(`overlay store: ${setup.name}`, () => {
    let store: OverlayStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const open = async (): Promise<OverlayStore> => (store = await setup.open());

    /** Checks in `n` nodes and returns their ids. */
    async function nodes(s: OverlayStore, n: number, overrides: Partial<NodeContact> = {}): Promise<Uint8Array[]> {
      const out = Array.from({ length: n }, nodeId);
      for (const id of out) await s.checkIn(contact(id, overrides));
      return out;
    }

    it('registers a node at its first check-in as active, returning every field as written', async () => {
      const s = await open();
      const id = nodeId();
      const first = await s.checkIn(contact(id, { address: 'node-ü.example:28967', wallet: '0x' + 'ab'.repeat(20), freeBytes: 2 ** 50 }));
      const expected: NodeRecord = {
        id,
        address: 'node-ü.example:28967',
        wallet: '0x' + 'ab'.repeat(20),
        freeBytes: 2 ** 50,
        version: '1.2.3',
        joinedAt: T0,
        lastContactAt: T0,
        status: 'active',
        exitStartedAt: null,
        exitFinishedAt: null,
        disqualifiedAt: null,
        disqualifiedReason: null,
      };
      expect(first).toEqual(expected);
      expect(await s.get(id)).toEqual(expected);
      expect(await s.get(nodeId())).toBeUndefined();
    });

    it('updates what a later check-in reports but keeps joinedAt, and last contact never moves backwards', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      const later = await s.checkIn(contact(id!, { address: '10.0.0.9:1', wallet: 'w2', freeBytes: 5, version: '2.0.0', at: T0 + HOUR }));
      expect(later).toMatchObject({ address: '10.0.0.9:1', wallet: 'w2', freeBytes: 5, version: '2.0.0', joinedAt: T0, lastContactAt: T0 + HOUR });
      // A delayed, older check-in still updates what it reports but cannot rewind the last contact.
      const delayed = await s.checkIn(contact(id!, { freeBytes: 7, at: T0 + 1 }));
      expect(delayed).toMatchObject({ freeBytes: 7, joinedAt: T0, lastContactAt: T0 + HOUR });
      expect(await s.get(id!)).toEqual(delayed);
    });

    it('returns the known nodes among many ids, once each', async () => {
      const s = await open();
      const known = await nodes(s, 3);
      const found = await s.getMany([known[0]!, nodeId(), known[2]!, known[0]!]);
      expect(ids(found)).toEqual(ids([{ id: known[0]! }, { id: known[2]! }] as NodeRecord[]));
      expect(await s.getMany([])).toEqual([]);
    });

    it('changes status only from the expected status, stamping when it happened', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      expect(await s.setStatus({ id: id!, from: 'exiting', to: 'exited', at: T0 + 1 })).toBeUndefined();
      expect((await s.get(id!))?.status).toBe('active');

      const exiting = await s.setStatus({ id: id!, from: 'active', to: 'exiting', at: T0 + 2 });
      expect(exiting).toMatchObject({ status: 'exiting', exitStartedAt: T0 + 2, exitFinishedAt: null });
      const exited = await s.setStatus({ id: id!, from: 'exiting', to: 'exited', at: T0 + 3 });
      expect(exited).toMatchObject({ status: 'exited', exitStartedAt: T0 + 2, exitFinishedAt: T0 + 3, disqualifiedAt: null });
      expect(await s.get(id!)).toEqual(exited);
      expect(await s.setStatus({ id: nodeId(), from: 'active', to: 'exiting', at: T0 })).toBeUndefined();
    });

    it('records when and why a node was disqualified', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      await s.setStatus({ id: id!, from: 'active', to: 'exiting', at: T0 + 1 });
      const dq = await s.setStatus({ id: id!, from: 'exiting', to: 'disqualified', at: T0 + 2, reason: 'forged receipt — "piece 7"' });
      expect(dq).toMatchObject({ status: 'disqualified', disqualifiedAt: T0 + 2, disqualifiedReason: 'forged receipt — "piece 7"', exitStartedAt: T0 + 1 });
    });

    it('an abandoned exit returns the node to active without a started exit', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      await s.setStatus({ id: id!, from: 'active', to: 'exiting', at: T0 + 1 });
      expect(await s.setStatus({ id: id!, from: 'exiting', to: 'active', at: T0 + 2 })).toMatchObject({ status: 'active', exitStartedAt: null });
    });

    it('refuses changes out of a final status with InvalidArgument and changes nothing', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      await s.setStatus({ id: id!, from: 'active', to: 'disqualified', at: T0 + 1, reason: 'audit failures' });
      const before = await s.get(id!);
      for (const to of ['active', 'exiting', 'exited'] as const) {
        await expect(s.setStatus({ id: id!, from: 'disqualified', to, at: T0 + 2 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      }
      await expect(s.setStatus({ id: id!, from: 'active', to: 'exited', at: T0 + 2 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      expect(await s.get(id!)).toEqual(before);
    });

    it('lets exactly one of two racing status changes win', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      const results = await Promise.all([
        s.setStatus({ id: id!, from: 'active', to: 'exiting', at: T0 + 1 }),
        s.setStatus({ id: id!, from: 'active', to: 'disqualified', at: T0 + 1, reason: 'race' }),
      ]);
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect((await s.get(id!))?.status).toBe(winners[0]!.status);
    });

    it('keeps an exiting, exited or disqualified node so when it checks in again', async () => {
      const s = await open();
      const [a, b, c] = await nodes(s, 3);
      await s.setStatus({ id: a!, from: 'active', to: 'exiting', at: T0 + 1 });
      await s.setStatus({ id: b!, from: 'active', to: 'exiting', at: T0 + 1 });
      await s.setStatus({ id: b!, from: 'exiting', to: 'exited', at: T0 + 2 });
      await s.setStatus({ id: c!, from: 'active', to: 'disqualified', at: T0 + 1 });
      for (const id of [a!, b!, c!]) await s.checkIn(contact(id, { at: T0 + HOUR }));
      expect((await s.getMany([a!, b!, c!])).map((n) => [hex(n.id), n.status, n.lastContactAt]).sort()).toEqual(
        [[hex(a!), 'exiting', T0 + HOUR], [hex(b!), 'exited', T0 + HOUR], [hex(c!), 'disqualified', T0 + HOUR]].sort(),
      );
    });

    it('selects for upload only active, recently seen nodes with room, never excluded ones', async () => {
      const s = await open();
      const now = T0 + 10 * HOUR;
      const good = await nodes(s, 4, { at: now - HOUR });
      const [edge] = await nodes(s, 1, { at: now - WINDOW });
      const [stale] = await nodes(s, 1, { at: now - WINDOW - 1 });
      const [full] = await nodes(s, 1, { at: now, freeBytes: 1023 });
      const [exiting, exited, dq] = await nodes(s, 3, { at: now });
      await s.setStatus({ id: exiting!, from: 'active', to: 'exiting', at: now });
      await s.setStatus({ id: exited!, from: 'active', to: 'exiting', at: now });
      await s.setStatus({ id: exited!, from: 'exiting', to: 'exited', at: now });
      await s.setStatus({ id: dq!, from: 'active', to: 'disqualified', at: now });
      const excluded = [good[0]!, stale!];

      const picked = await s.selectForUpload({ count: 100, excluded, minFreeBytes: 1024, onlineWindowMs: WINDOW, now });
      expect(ids(picked)).toEqual(ids([...good.slice(1), edge!].map((id) => ({ id }) as NodeRecord)));
      expect(picked.every((n) => n.status === 'active')).toBe(true);
    });

    it('returns exactly count distinct nodes when more qualify, and fewer (or none) when fewer do', async () => {
      const s = await open();
      await nodes(s, 6);
      const query = { minFreeBytes: 0, onlineWindowMs: WINDOW, now: T0 };
      const three = await s.selectForUpload({ ...query, count: 3 });
      expect(new Set(ids(three)).size).toBe(3);
      expect(await s.selectForUpload({ ...query, count: 10 })).toHaveLength(6);
      expect(await s.selectForUpload({ ...query, count: 0 })).toEqual([]);
      expect(await s.selectForUpload({ ...query, count: 3, minFreeBytes: 2 ** 41 })).toEqual([]);
    });

    it('picks at random among the eligible nodes', async () => {
      const s = await open();
      await nodes(s, 5);
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const [one] = await s.selectForUpload({ count: 1, minFreeBytes: 0, onlineWindowMs: WINDOW, now: T0 });
        seen.add(hex(one!.id));
      }
      // All 40 picks landing on one node has probability 5 × (1/5)^40.
      expect(seen.size).toBeGreaterThan(1);
    });

    it('lets downloads use active and exiting nodes that are online, but not exited, disqualified or stale ones', async () => {
      const s = await open();
      const now = T0 + HOUR;
      const [active, exiting, exited, dq] = await nodes(s, 4, { at: now });
      const [stale] = await nodes(s, 1, { at: now - WINDOW - 1 });
      await s.setStatus({ id: exiting!, from: 'active', to: 'exiting', at: now });
      await s.setStatus({ id: exited!, from: 'active', to: 'exiting', at: now });
      await s.setStatus({ id: exited!, from: 'exiting', to: 'exited', at: now });
      await s.setStatus({ id: dq!, from: 'active', to: 'disqualified', at: now });
      const reachable = await s.getReachable([active!, exiting!, exited!, dq!, stale!, nodeId()], now, WINDOW);
      expect(ids(reachable)).toEqual(ids([active!, exiting!].map((id) => ({ id }) as NodeRecord)));
      expect(await s.getReachable([], now, WINDOW)).toEqual([]);
    });

    it('refuses malformed ids and numbers with InvalidArgument', async () => {
      const s = await open();
      await expect(s.checkIn(contact(new Uint8Array(31)))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(s.checkIn(contact(nodeId(), { freeBytes: -1 }))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(s.get(new Uint8Array(33))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(s.selectForUpload({ count: -1, minFreeBytes: 0, onlineWindowMs: 0, now: T0 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(s.selectForUpload({ count: 1, excluded: [new Uint8Array(3)], minFreeBytes: 0, onlineWindowMs: 0, now: T0 })).rejects.toMatchObject({
        name: 'InvalidArgumentError',
      });
    });

    if (setup.reopen) {
      const reopen = setup.reopen.bind(setup);
      it('keeps nodes and their statuses across a reopen', async () => {
        const s = await open();
        const [a, b] = await nodes(s, 2);
        const exiting = await s.setStatus({ id: a!, from: 'active', to: 'exiting', at: T0 + 5 });
        const plain = await s.get(b!);
        const again = (store = await reopen(s));
        expect(await again.get(a!)).toEqual(exiting);
        expect(await again.get(b!)).toEqual(plain);
      });
    }
  });
}
