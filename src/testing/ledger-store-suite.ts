/**
 * The `LedgerStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run it,
 * and so should a store you write:
 *
 * ```ts
 * import { ledgerStoreSuite } from 'handoff/testing';
 * ledgerStoreSuite({ name: 'my store', open: async () => MyLedgerStore.open(freshDatabase()) });
 * ```
 *
 * It checks that a serial counts once (across batches, within a batch, and between concurrent
 * batches), that bytes add up per node, action and hour, range queries, expired-serial cleanup,
 * refusal of invalid input without side effects and, when `reopen` is given, durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../core/bytes.js';
import { getCryptoProvider } from '../crypto/select.js';
import type { LedgerStore } from '../orders/ledger/port.js';
import type { BandwidthTotal, SettledOrder } from '../orders/ledger/types.js';

/** How {@link ledgerStoreSuite} opens the store under test. */
export interface LedgerStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<LedgerStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: LedgerStore): Promise<LedgerStore>;
}

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR); // an hour boundary
const NODE_A = new Uint8Array(32).fill(0xa);
const NODE_B = new Uint8Array(32).fill(0xb);

function order(overrides: Partial<SettledOrder> = {}): SettledOrder {
  return {
    serialNumber: getCryptoProvider().randomBytes(16),
    expiresAt: T0 + 24 * HOUR,
    nodeId: NODE_A,
    action: 'GET',
    amount: 1000,
    at: T0 + 60_000,
    ...overrides,
  };
}

/** Totals as sorted `node/action=bytes` strings, easy to compare. */
function flat(totals: readonly BandwidthTotal[]): string[] {
  return totals.map((t) => `${toHex(t.nodeId).slice(0, 2)}/${t.action}=${t.bytes}`).sort();
}

/** Registers the store contract tests for one implementation. */
export function ledgerStoreSuite(setup: LedgerStoreSuiteSetup): void {
  describe(`ledger store: ${setup.name}`, () => {
    let store: LedgerStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const open = async (): Promise<LedgerStore> => (store = await setup.open());
    const everything = { from: 0, to: T0 + 1000 * HOUR };

    it('records settled orders and sums their bytes per node and action', async () => {
      const s = await open();
      const results = await s.settle([
        order({ amount: 100 }),
        order({ amount: 250 }),
        order({ action: 'PUT', amount: 2 ** 40 }),
        order({ nodeId: NODE_B, action: 'PUT_GRACEFUL_EXIT', amount: 7 }),
      ]);
      expect(results).toEqual([true, true, true, true]);
      expect(flat(await s.bandwidth(everything))).toEqual(['0a/GET=350', `0a/PUT=${2 ** 40}`, '0b/PUT_GRACEFUL_EXIT=7']);
      expect(flat(await s.bandwidth({ ...everything, nodeId: NODE_B }))).toEqual(['0b/PUT_GRACEFUL_EXIT=7']);
    });

    it('counts a serial once: a later settle of it is refused and adds nothing', async () => {
      const s = await open();
      const o = order({ amount: 500 });
      expect(await s.settle([o])).toEqual([true]);
      expect(await s.settle([{ ...o, amount: 9999 }, order({ amount: 1 })])).toEqual([false, true]);
      expect(flat(await s.bandwidth(everything))).toEqual(['0a/GET=501']);
    });

    it('counts a serial repeated within one batch once', async () => {
      const s = await open();
      const o = order({ amount: 10 });
      expect(await s.settle([o, order({ amount: 1 }), { ...o, amount: 20 }])).toEqual([true, true, false]);
      expect(flat(await s.bandwidth(everything))).toEqual(['0a/GET=11']);
    });

    it('lets exactly one of two concurrent settles of the same serials count', async () => {
      const s = await open();
      const batch = Array.from({ length: 20 }, (_, i) => order({ amount: i + 1, action: i % 2 ? 'GET' : 'PUT_REPAIR' }));
      const reversed = [...batch].reverse();
      const [first, second] = await Promise.all([s.settle(batch), s.settle(reversed)]);
      for (let i = 0; i < batch.length; i++) expect(Number(first![i]) + Number(second![batch.length - 1 - i])).toBe(1);
      const get = batch.filter((_, i) => i % 2).reduce((n, o) => n + o.amount, 0);
      const repair = batch.filter((_, i) => !(i % 2)).reduce((n, o) => n + o.amount, 0);
      expect(flat(await s.bandwidth(everything))).toEqual([`0a/GET=${get}`, `0a/PUT_REPAIR=${repair}`]);
    });

    it('sums by hour: a range includes the hours that start inside it', async () => {
      const s = await open();
      await s.settle([
        order({ at: T0, amount: 1 }),
        order({ at: T0 + HOUR - 1, amount: 2 }),
        order({ at: T0 + HOUR, amount: 4 }),
        order({ at: T0 + 2 * HOUR + 5, amount: 8 }),
      ]);
      expect(flat(await s.bandwidth({ from: T0, to: T0 + HOUR }))).toEqual(['0a/GET=3']);
      expect(flat(await s.bandwidth({ from: T0 + 1, to: T0 + 3 * HOUR }))).toEqual(['0a/GET=12']);
      expect(flat(await s.bandwidth({ from: T0, to: T0 + 3 * HOUR }))).toEqual(['0a/GET=15']);
      expect(await s.bandwidth({ from: T0 + 3 * HOUR, to: T0 + 4 * HOUR })).toEqual([]);
      expect(await s.bandwidth({ ...everything, nodeId: NODE_B })).toEqual([]);
    });

    it('forgets expired serials in batches, keeping live ones', async () => {
      const s = await open();
      const expired = Array.from({ length: 5 }, () => order({ expiresAt: T0 + HOUR }));
      const live = order({ expiresAt: T0 + 3 * HOUR });
      await s.settle([...expired, live]);
      expect(await s.deleteExpiredSerials(T0 + HOUR, 10)).toBe(0); // expiring at `now` is not yet expired
      expect(await s.deleteExpiredSerials(T0 + 2 * HOUR, 3)).toBe(3);
      expect(await s.deleteExpiredSerials(T0 + 2 * HOUR, 10)).toBe(2);
      expect(await s.deleteExpiredSerials(T0 + 2 * HOUR)).toBe(0);
      expect(await s.settle([live])).toEqual([false]);
      // The bytes stay: only the duplicate guard of expired orders is dropped.
      expect(flat(await s.bandwidth(everything))).toEqual(['0a/GET=6000']);
    });

    it('refuses a batch with an invalid order with InvalidArgument and records none of it', async () => {
      const s = await open();
      const good = order();
      const bad: SettledOrder[] = [
        order({ serialNumber: new Uint8Array(15) }),
        order({ nodeId: new Uint8Array(31) }),
        order({ amount: -1 }),
        order({ amount: 1.5 }),
        order({ action: 'STEAL' as SettledOrder['action'] }),
      ];
      for (const b of bad) await expect(s.settle([good, b])).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      expect(await s.bandwidth(everything)).toEqual([]);
      expect(await s.settle([good])).toEqual([true]);
      expect(await s.settle([])).toEqual([]);
    });

    if (setup.reopen) {
      const reopen = setup.reopen.bind(setup);
      it('keeps serials and bytes across a reopen', async () => {
        const s = await open();
        const o = order({ amount: 42 });
        await s.settle([o]);
        const again = (store = await reopen(s));
        expect(await again.settle([o])).toEqual([false]);
        expect(flat(await again.bandwidth(everything))).toEqual(['0a/GET=42']);
      });
    }
  });
}
