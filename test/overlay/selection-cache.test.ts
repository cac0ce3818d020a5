/**
 * The node-selection cache: uploads pick nodes from an in-memory snapshot reloaded in the
 * background, yet a node this process marks exiting, disqualified, suspended or offline is never
 * picked again, not even while a reload is reading the table. Time is a ManualClock; randomness
 * is seeded.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { ManualClock } from '../../src/core/clock.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import type { OverlayStore } from '../../src/overlay/port.js';
import { SelectionCachedOverlay, type SelectionCacheOptions } from '../../src/overlay/selection-cache.js';
import { MemoryOverlayStore } from '../../src/overlay/store/memory.js';
import type { NodeContact, NodePage, NodeRecord, UploadSelection } from '../../src/overlay/types.js';
import { overlayStoreSuite } from '../../src/testing/overlay-store-suite.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const REFRESH = 60_000;

/** A seeded xorshift generator in [0, 1), counting its calls. */
function seeded(seed: number): { random: () => number; calls: () => number } {
  let state = seed >>> 0 || 1;
  let calls = 0;
  return {
    random: () => {
      calls++;
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state / 2 ** 32;
    },
    calls: () => calls,
  };
}

const contact = (id: Uint8Array, overrides: Partial<NodeContact> = {}): NodeContact => ({
  id, address: '127.0.0.1:7777', wallet: '0xwallet', freeBytes: 2 ** 40, version: '1', at: T0, ...overrides,
});
const selection = (overrides: Partial<UploadSelection> = {}): UploadSelection => ({ count: 1000, minFreeBytes: 0, onlineWindowMs: 4 * HOUR, now: T0, ...overrides });
const sorted = (nodes: readonly { id: Uint8Array }[]) => nodes.map((n) => toHex(n.id)).sort();
const newId = () => getCryptoProvider().randomBytes(32);

/** A memory overlay that counts reads of the whole table and can hold a reload's result back. */
class WatchedOverlay extends MemoryOverlayStore {
  pages = 0;
  storeSelections = 0;
  failPages = 0;
  /** While set, listNodes reads at once but returns only when the gate opens. */
  gate: Promise<void> | undefined;

  override async listNodes(page: NodePage): Promise<NodeRecord[]> {
    this.pages++;
    if (this.failPages > 0) {
      this.failPages--;
      throw new Error('database unavailable');
    }
    const rows = await super.listNodes(page);
    await this.gate;
    return rows;
  }

  override async selectForUpload(s: UploadSelection): Promise<NodeRecord[]> {
    this.storeSelections++;
    return super.selectForUpload(s);
  }
}

overlayStoreSuite({
  name: 'selection cache over memory',
  open: async () => {
    const cache = new SelectionCachedOverlay(new MemoryOverlayStore(), { clock: new ManualClock(T0), random: seeded(7).random });
    await cache.start();
    return cache;
  },
});

describe('node selection cache', () => {
  let cache: SelectionCachedOverlay | undefined;
  afterEach(async () => {
    await cache?.close();
    cache = undefined;
  });

  async function setup(options: Partial<SelectionCacheOptions> = {}) {
    const store = new WatchedOverlay();
    const clock = new ManualClock(T0);
    const errors: unknown[] = [];
    cache = new SelectionCachedOverlay(store, { clock, refreshMs: REFRESH, random: seeded(42).random, onError: (e) => errors.push(e), ...options });
    await cache.start();
    /** Lets the reload timer fire and waits for that reload. */
    const reloadDue = async () => {
      clock.advance(REFRESH);
      await cache!.reload().catch(() => {}); // a failed reload is reported through onError
    };
    return { store, clock, cache, errors, reloadDue };
  }

  it('selects from memory: no query per upload, one read of the table per reload', async () => {
    const { store, cache, reloadDue } = await setup();
    const ids = Array.from({ length: 20 }, newId);
    for (const id of ids) await cache.checkIn(contact(id));
    const pagesAfterStart = store.pages;
    for (let i = 0; i < 50; i++) expect(await cache.selectForUpload(selection({ count: 5 }))).toHaveLength(5);
    expect(store.pages).toBe(pagesAfterStart);
    expect(store.storeSelections).toBe(0);
    await reloadDue();
    expect(store.pages).toBe(pagesAfterStart + 1);
  });

  it('never selects a node this process marks exiting, disqualified, suspended or offline — from the next upload on', async () => {
    const { store, cache } = await setup();
    const [exiting, disqualified, suspended, offline, good] = Array.from({ length: 5 }, newId);
    for (const id of [exiting!, disqualified!, suspended!, offline!, good!]) await cache.checkIn(contact(id));
    expect(await cache.selectForUpload(selection())).toHaveLength(5);
    const pages = store.pages;

    await cache.setStatus({ id: exiting!, from: 'active', to: 'exiting', at: T0 + 1 });
    await cache.setStatus({ id: disqualified!, from: 'active', to: 'disqualified', at: T0 + 1, reason: 'audits' });
    await cache.setSuspended(suspended!, { at: T0 + 1, reason: 'unknown errors' });
    await cache.recordContact(offline!, { at: T0 + 1, success: false });

    expect(sorted(await cache.selectForUpload(selection({ now: T0 + 2 })))).toEqual(sorted([{ id: good! }]));
    expect(store.pages).toBe(pages); // no reload was needed

    // Back online and unsuspended: selectable again at once too.
    await cache.recordContact(offline!, { at: T0 + 3, success: true });
    await cache.setSuspended(suspended!, null);
    expect(sorted(await cache.selectForUpload(selection({ now: T0 + 4 })))).toEqual(sorted([{ id: good! }, { id: offline! }, { id: suspended! }]));
  });

  it("sees another process's changes at the next reload, and learns them at once when its own change is refused", async () => {
    const { store, cache, reloadDue } = await setup();
    const [mine, theirs, raced] = Array.from({ length: 3 }, newId);
    await cache.checkIn(contact(mine!));
    await cache.checkIn(contact(raced!));
    // Another process: writes straight to the database.
    await store.checkIn(contact(theirs!));
    expect(sorted(await cache.selectForUpload(selection()))).toEqual(sorted([{ id: mine! }, { id: raced! }]));
    await reloadDue();
    expect(sorted(await cache.selectForUpload(selection()))).toEqual(sorted([{ id: mine! }, { id: raced! }, { id: theirs! }]));

    await store.setStatus({ id: theirs!, from: 'active', to: 'disqualified', at: T0 + 1 });
    await store.setStatus({ id: raced!, from: 'active', to: 'exiting', at: T0 + 1 });
    // This process tries to disqualify `raced` too and loses the compare-and-swap: it reads the node again.
    expect(await cache.setStatus({ id: raced!, from: 'active', to: 'disqualified', at: T0 + 2 })).toBeUndefined();
    expect(sorted(await cache.selectForUpload(selection()))).toEqual(sorted([{ id: mine! }, { id: theirs! }]));
    await reloadDue();
    expect(sorted(await cache.selectForUpload(selection()))).toEqual(sorted([{ id: mine! }]));
  });

  it('keeps a change made while a reload reads the table, though the reload read the row before it', async () => {
    const { store, cache, clock } = await setup();
    const [a, b, late] = Array.from({ length: 3 }, newId);
    await cache.checkIn(contact(a!));
    await cache.checkIn(contact(b!));
    let open!: () => void;
    store.gate = new Promise((resolve) => (open = resolve));
    clock.advance(REFRESH); // the reload reads both nodes as active, then waits at the gate
    await cache.setStatus({ id: a!, from: 'active', to: 'disqualified', at: T0 + 1, reason: 'failed audits' });
    await cache.checkIn(contact(late!)); // joins after the reload read the table
    open();
    store.gate = undefined;
    await cache.reload();
    expect(sorted(await cache.selectForUpload(selection()))).toEqual(sorted([{ id: b! }, { id: late! }]));
  });

  it('keeps serving the last snapshot when a reload fails, and asks the store once the snapshot is too old', async () => {
    const { store, cache, errors, reloadDue } = await setup({ maxAgeMs: 2.5 * REFRESH });
    const [a] = [newId()];
    await cache.checkIn(contact(a!));
    store.failPages = 10;
    await reloadDue();
    await reloadDue();
    expect(errors).toHaveLength(2);
    expect(sorted(await cache.selectForUpload(selection()))).toEqual(sorted([{ id: a! }]));
    expect(store.storeSelections).toBe(0);
    await reloadDue(); // 3 refresh periods without a good reload: older than maxAgeMs
    expect(sorted(await cache.selectForUpload(selection()))).toEqual(sorted([{ id: a! }]));
    expect(store.storeSelections).toBe(1);
    store.failPages = 0;
    await reloadDue();
    await cache.selectForUpload(selection());
    expect(store.storeSelections).toBe(1);
  });

  it('visits about as many nodes as it picks, not the registry', async () => {
    const rng = seeded(3);
    const { cache } = await setup({ random: rng.random });
    for (let i = 0; i < 5000; i++) await cache.checkIn(contact(newId()));
    const before = rng.calls();
    const picked = await cache.selectForUpload(selection({ count: 10 }));
    expect(new Set(sorted(picked)).size).toBe(10);
    expect(rng.calls() - before).toBe(10);
  });

  it('leaves no timer behind: stop clears the reload timer and the store stays open', async () => {
    const { store, cache, clock } = await setup();
    expect(clock.pending).toBe(1);
    await cache.stop();
    expect(clock.pending).toBe(0);
    clock.advance(10 * REFRESH);
    expect(clock.pending).toBe(0);
    const id = newId();
    await store.checkIn(contact(id)); // the store still works
    expect(await store.get(id)).toBeDefined();
  });

  it('agrees with the store after any sequence of changes made through it', async () => {
    type Op =
      | { kind: 'checkIn'; node: number; at: number; freeBytes: number }
      | { kind: 'status'; node: number; to: 'exiting' | 'exited' | 'disqualified' | 'active' }
      | { kind: 'rejoin'; node: number }
      | { kind: 'contact'; node: number; at: number; success: boolean }
      | { kind: 'suspend'; node: number; on: boolean }
      | { kind: 'reload' };
    const node = fc.integer({ min: 0, max: 5 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('checkIn' as const), node, at: fc.integer({ min: 0, max: 10 * HOUR }), freeBytes: fc.constantFrom(0, 1024, 2 ** 40) }),
      fc.record({ kind: fc.constant('status' as const), node, to: fc.constantFrom('exiting', 'exited', 'disqualified', 'active') }),
      fc.record({ kind: fc.constant('rejoin' as const), node }),
      fc.record({ kind: fc.constant('contact' as const), node, at: fc.integer({ min: 0, max: 10 * HOUR }), success: fc.boolean() }),
      fc.record({ kind: fc.constant('suspend' as const), node, on: fc.boolean() }),
      fc.constant({ kind: 'reload' as const }),
    );
    const statusFrom = { exiting: 'active', exited: 'exiting', disqualified: 'active', active: 'exiting' } as const;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.integer({ min: 0, max: 10 * HOUR }), async (ops, now) => {
        const store = new MemoryOverlayStore();
        const clock = new ManualClock(T0);
        const c = new SelectionCachedOverlay(store, { clock, refreshMs: REFRESH });
        await c.start();
        try {
          const ids = Array.from({ length: 6 }, newId);
          const s: OverlayStore = c;
          for (const o of ops) {
            if (o.kind === 'reload') await c.reload();
            else if (o.kind === 'checkIn') await s.checkIn(contact(ids[o.node]!, { at: T0 + o.at, freeBytes: o.freeBytes }));
            else if (o.kind === 'status') await s.setStatus({ id: ids[o.node]!, from: statusFrom[o.to], to: o.to, at: T0 }).catch(() => undefined);
            else if (o.kind === 'rejoin') await s.rejoin(ids[o.node]!, T0);
            else if (o.kind === 'contact') await s.recordContact(ids[o.node]!, { at: T0 + o.at, success: o.success });
            else await s.setSuspended(ids[o.node]!, o.on ? { at: T0, reason: 'test' } : null);
            const query = selection({ minFreeBytes: 1024, now: T0 + now });
            expect(sorted(await c.selectForUpload(query))).toEqual(sorted(await store.selectForUpload(query)));
          }
        } finally {
          await c.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
