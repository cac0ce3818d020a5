/**
 * The `RepairQueueStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run
 * it, and so should a store you write:
 *
 * ```ts
 * import { repairQueueStoreSuite } from 'handoff/testing';
 * repairQueueStoreSuite({
 *   name: 'my store',
 *   open: async () => MyRepairQueueStore.open(freshDatabase()),
 *   reopen: async (store) => { await store.close(); return MyRepairQueueStore.open(sameDatabase()); },
 * });
 * ```
 *
 * It checks that queueing is idempotent per segment (refreshing health, keeping the insertion
 * time and any lease), that claims come least healthy first, lease the item, never hand one item
 * to two racing claimers and hand it out again once the lease ends, that deleting and cleaning
 * remove exactly what they say, refusal of malformed input without a change and, when `reopen`
 * is given, durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../core/bytes.js';
import { getCryptoProvider } from '../crypto/select.js';
import type { SegmentPosition } from '../metainfo/metabase/types.js';
import type { NewRepairItem, RepairQueueItem, RepairQueueStore } from '../durability/repair/queue-store.js';

/** How {@link repairQueueStoreSuite} opens the store under test. */
export interface RepairQueueStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<RepairQueueStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: RepairQueueStore): Promise<RepairQueueStore>;
}

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const LEASE = 30 * MINUTE;

const streamId = (): Uint8Array => getCryptoProvider().randomBytes(16);

function item(healthy: number, overrides: Partial<NewRepairItem> = {}): NewRepairItem {
  return { streamId: streamId(), position: { part: 0, index: 0 }, healthy, ...overrides };
}

const key = (i: { streamId: Uint8Array; position: SegmentPosition }): string => `${toHex(i.streamId)}/${i.position.part}/${i.position.index}`;

/** Claims until nothing is free, returning the claimed items in order. */
async function drain(store: RepairQueueStore, now: number): Promise<RepairQueueItem[]> {
  const out: RepairQueueItem[] = [];
  for (let item = await store.next(now, LEASE); item !== undefined; item = await store.next(now, LEASE)) out.push(item);
  return out;
}

/** Registers the store contract tests for one implementation. */
export function repairQueueStoreSuite(setup: RepairQueueStoreSuiteSetup): void {
  describe(`repair queue store: ${setup.name}`, () => {
    let store: RepairQueueStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const open = async (): Promise<RepairQueueStore> => (store = await setup.open());

    it('hands out nothing when empty', async () => {
      const s = await open();
      expect(await s.next(T0, LEASE)).toBeUndefined();
      expect(await s.count()).toBe(0);
    });

    it('claims the least healthy segment first, then the oldest, and leases it', async () => {
      const s = await open();
      const [a, b, c, d] = [item(5), item(3), item(4), item(3)];
      await s.insert([a!, b!], T0);
      await s.insert([c!], T0 + 1);
      await s.insert([d!], T0 + 2);
      const claimed = await drain(s, T0 + 10);
      expect(claimed.map(key)).toEqual([b, d, c, a].map((i) => key(i!)));
      expect(claimed[0]).toMatchObject({ healthy: 3, insertedAt: T0, updatedAt: T0, leasedUntil: T0 + 10 + LEASE, attempts: 1 });
      expect(claimed[0]!.position).toEqual({ part: 0, index: 0 });
      expect(await s.count()).toBe(4); // claimed items stay queued until deleted
    });

    it('queues a segment once: a second insert refreshes its health and keeps its insertion time', async () => {
      const s = await open();
      const a = item(5, { position: { part: 2, index: 7 } });
      const b = item(4);
      await s.insert([a, b], T0);
      await s.insert([{ ...a, healthy: 2 }], T0 + MINUTE);
      expect(await s.count()).toBe(2);
      expect(await s.get(a.streamId, a.position)).toMatchObject({ healthy: 2, insertedAt: T0, updatedAt: T0 + MINUTE, leasedUntil: null, attempts: 0 });
      expect((await s.next(T0 + MINUTE, LEASE))!.streamId).toEqual(a.streamId); // now the least healthy
    });

    it('keeps the lower health when one batch names a segment twice', async () => {
      const s = await open();
      const a = item(5);
      await s.insert([a, { ...a, healthy: 3 }, { ...a, healthy: 4 }], T0);
      expect(await s.count()).toBe(1);
      expect((await s.get(a.streamId, a.position))!.healthy).toBe(3);
    });

    it('tells segments apart by stream and position', async () => {
      const s = await open();
      const id = streamId();
      const positions = [{ part: 0, index: 0 }, { part: 0, index: 1 }, { part: 1, index: 0 }, { part: 2 ** 20, index: 2 ** 32 - 1 }];
      await s.insert(positions.map((position) => ({ streamId: id, position, healthy: 1 })), T0);
      expect(await s.count()).toBe(4);
      const claimed = await drain(s, T0);
      expect(claimed.map((c) => c.position)).toEqual(positions);
    });

    it('does not hand out a leased item again until its lease ends, even when the checker queues it again', async () => {
      const s = await open();
      const a = item(3);
      await s.insert([a], T0);
      expect((await s.next(T0, LEASE))!.attempts).toBe(1);
      expect(await s.next(T0 + 1, LEASE)).toBeUndefined();
      await s.insert([{ ...a, healthy: 2 }], T0 + 2);
      expect(await s.next(T0 + LEASE - 1, LEASE)).toBeUndefined();
      const again = await s.next(T0 + LEASE, LEASE);
      expect(again).toMatchObject({ healthy: 2, attempts: 2, leasedUntil: T0 + 2 * LEASE });
    });

    it('never hands one item to two racing claimers', async () => {
      const s = await open();
      const items = Array.from({ length: 12 }, (_, i) => item(i % 4));
      await s.insert(items, T0);
      const claims = await Promise.all(Array.from({ length: 20 }, () => s.next(T0, LEASE)));
      const got = claims.filter((c): c is RepairQueueItem => c !== undefined).map(key);
      expect(new Set(got).size).toBe(got.length);
      expect(got.length).toBe(12);
      expect(got.sort()).toEqual(items.map(key).sort());
    });

    it('deletes an item once', async () => {
      const s = await open();
      const [a, b] = [item(1), item(2)];
      await s.insert([a, b], T0);
      expect(await s.delete(a.streamId, a.position)).toBe(true);
      expect(await s.delete(a.streamId, a.position)).toBe(false);
      expect(await s.get(a.streamId, a.position)).toBeUndefined();
      expect((await drain(s, T0)).map(key)).toEqual([key(b)]);
    });

    it('cleans what the last checker pass did not queue again', async () => {
      const s = await open();
      const [stale, fresh, leased] = [item(1), item(2), item(3)];
      await s.insert([stale, fresh, leased], T0);
      await s.next(T0, LEASE); // claims `stale`: a lease does not keep an item the checker no longer finds
      await s.insert([fresh], T0 + MINUTE);
      expect(await s.clean(T0 + MINUTE)).toBe(2);
      expect(await s.count()).toBe(1);
      expect(await s.get(fresh.streamId, fresh.position)).toBeDefined();
      expect(await s.clean(T0 + MINUTE)).toBe(0);
    });

    it('refuses malformed input with a typed error and changes nothing', async () => {
      const s = await open();
      const good = item(1);
      const bad: Array<() => Promise<unknown>> = [
        () => s.insert([good, { ...good, streamId: new Uint8Array(15) }], T0),
        () => s.insert([good, { ...good, healthy: -1 }], T0),
        () => s.insert([{ ...good, position: { part: -1, index: 0 } }], T0),
        () => s.insert([good], Number.NaN),
        () => s.next(T0, 0),
        () => s.next(-1, LEASE),
        () => s.get(new Uint8Array(3), good.position),
        () => s.delete(good.streamId, { part: 0, index: 2 ** 32 }),
        () => s.clean(Number.POSITIVE_INFINITY),
      ];
      for (const call of bad) await expect(call()).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      expect(await s.count()).toBe(0);
    });

    if (setup.reopen) {
      it('keeps items, health, insertion times and leases across a reopen', async () => {
        let s = await open();
        const [a, b] = [item(2), item(4)];
        await s.insert([a, b], T0);
        await s.next(T0, LEASE);
        s = store = await setup.reopen!(s);
        expect(await s.get(a.streamId, a.position)).toMatchObject({ healthy: 2, insertedAt: T0, leasedUntil: T0 + LEASE, attempts: 1 });
        expect((await s.next(T0 + 1, LEASE))!.streamId).toEqual(b.streamId);
      });
    }
  });
}
