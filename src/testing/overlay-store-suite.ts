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
 * (exiting nodes included, offline ones not), contact recording (absence, hourly windows, online
 * score), reputation updates, suspension, paging and, when `reopen` is given, durability.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../core/bytes.js';
import { getCryptoProvider } from '../crypto/select.js';
import type { OverlayStore } from '../overlay/port.js';
import { applyReputationUpdate, NEW_NODE_STATE, type NodeContact, type NodeRecord, type ReputationUpdate } from '../overlay/types.js';

/** How {@link overlayStoreSuite} opens the store under test. */
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
        ...NEW_NODE_STATE,
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

    it('lets an exited node rejoin, active again and selectable, keeping its id, join date and reputation; nothing else leaves exited', async () => {
      const s = await open();
      const [id, other] = await nodes(s, 2);
      await s.updateReputation(id!, { kind: 'audit', success: false, lambda: 0.95, weight: 1, at: T0 + 1 });
      expect(await s.rejoin(id!, T0 + 2)).toBeUndefined(); // active: nothing to rejoin
      await s.setStatus({ id: id!, from: 'active', to: 'exiting', at: T0 + 3 });
      expect(await s.rejoin(id!, T0 + 4)).toBeUndefined(); // exiting: not yet
      const exited = (await s.setStatus({ id: id!, from: 'exiting', to: 'exited', at: T0 + 5 }))!;
      await expect(s.setStatus({ id: id!, from: 'exited', to: 'active', at: T0 + 6 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      expect(await s.get(id!)).toEqual(exited);

      const back = await s.rejoin(id!, T0 + 7);
      expect(back).toEqual({ ...exited, status: 'active', rejoinedAt: T0 + 7, exitStartedAt: null, exitFinishedAt: null });
      expect(await s.get(id!)).toEqual(back);
      expect(back).toMatchObject({ joinedAt: exited.joinedAt, auditBeta: exited.auditBeta, auditTotalCount: 1 });
      expect(await s.rejoin(id!, T0 + 8)).toBeUndefined(); // once
      const picked = await s.selectForUpload({ count: 2, minFreeBytes: 0, onlineWindowMs: HOUR, now: T0 + 9 });
      expect(ids(picked)).toEqual(ids([{ id: id! }, { id: other! }] as NodeRecord[]));

      await s.setStatus({ id: other!, from: 'active', to: 'disqualified', at: T0 + 10, reason: 'audits' });
      expect(await s.rejoin(other!, T0 + 11)).toBeUndefined(); // a disqualified node never comes back
      expect(await s.rejoin(nodeId(), T0 + 11)).toBeUndefined();
      await expect(s.rejoin(new Uint8Array(31), T0)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      await expect(s.rejoin(id!, -1)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
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

    it('marks a node offline at the first failed contact after a success, and back online at the next success', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      const failed = await s.recordContact(id!, { at: T0 + 10, success: false });
      expect(failed).toMatchObject({ lastContactAt: T0, lastContactFailureAt: T0 + 10, offlineSince: T0 + 10 });
      // Still failing: the absence keeps its start.
      expect(await s.recordContact(id!, { at: T0 + 20, success: false })).toMatchObject({ lastContactFailureAt: T0 + 20, offlineSince: T0 + 10 });
      const back = await s.recordContact(id!, { at: T0 + 30, success: true });
      expect(back).toMatchObject({ lastContactAt: T0 + 30, lastContactFailureAt: T0 + 20, offlineSince: null });
      expect(await s.get(id!)).toEqual(back);
      expect(await s.recordContact(nodeId(), { at: T0, success: true })).toBeUndefined();
    });

    it('lets no late-recorded contact rewrite what a newer one said', async () => {
      const s = await open();
      const [id] = await nodes(s, 1, { at: T0 + 100 });
      // A failure older than the last success: the node was seen since.
      expect(await s.recordContact(id!, { at: T0 + 50, success: false })).toMatchObject({ lastContactFailureAt: T0 + 50, offlineSince: null });
      await s.recordContact(id!, { at: T0 + 200, success: false });
      // A success older than the last failure does not end the absence, nor rewind anything.
      expect(await s.recordContact(id!, { at: T0 + 150, success: true })).toMatchObject({ lastContactAt: T0 + 150, lastContactFailureAt: T0 + 200, offlineSince: T0 + 200 });
      expect(await s.recordContact(id!, { at: T0 + 120, success: false })).toMatchObject({ lastContactFailureAt: T0 + 200, offlineSince: T0 + 200 });
      expect(await s.recordContact(id!, { at: T0 + 130, success: true })).toMatchObject({ lastContactAt: T0 + 150, offlineSince: T0 + 200 });
    });

    it('a check-in ends an absence, unless a failed contact came after it', async () => {
      const s = await open();
      const [a, b] = await nodes(s, 2);
      await s.recordContact(a!, { at: T0 + 10, success: false });
      expect(await s.checkIn(contact(a!, { at: T0 + 20 }))).toMatchObject({ lastContactAt: T0 + 20, offlineSince: null });
      await s.recordContact(b!, { at: T0 + 10, success: false });
      expect(await s.checkIn(contact(b!, { at: T0 + 5 }))).toMatchObject({ offlineSince: T0 + 10 });
    });

    it('never selects offline or suspended nodes for upload; downloads skip offline nodes but keep suspended and exiting ones', async () => {
      const s = await open();
      const now = T0 + HOUR;
      const [online, offline, suspended, exiting, exitingOffline] = await nodes(s, 5, { at: now - 1 });
      await s.recordContact(offline!, { at: now, success: false });
      await s.setSuspended(suspended!, { at: now, reason: 'offline' });
      await s.setStatus({ id: exiting!, from: 'active', to: 'exiting', at: now });
      await s.setSuspended(exiting!, { at: now, reason: 'unknown audit score below threshold' });
      await s.setStatus({ id: exitingOffline!, from: 'active', to: 'exiting', at: now });
      await s.recordContact(exitingOffline!, { at: now, success: false });

      const picked = await s.selectForUpload({ count: 10, minFreeBytes: 0, onlineWindowMs: WINDOW, now });
      expect(ids(picked)).toEqual(ids([{ id: online! }] as NodeRecord[]));
      const reachable = await s.getReachable([online!, offline!, suspended!, exiting!, exitingOffline!], now, WINDOW);
      expect(ids(reachable)).toEqual(ids([online!, suspended!, exiting!].map((id) => ({ id }) as NodeRecord)));

      await s.recordContact(offline!, { at: now + 1, success: true });
      await s.setSuspended(suspended!, null);
      const again = await s.selectForUpload({ count: 10, minFreeBytes: 0, onlineWindowMs: WINDOW, now: now + 1 });
      expect(ids(again)).toEqual(ids([online!, offline!, suspended!].map((id) => ({ id }) as NodeRecord)));
    });

    it('scores uptime as successes over attempts in the hourly windows since a time, 1 with no attempt', async () => {
      const s = await open();
      const [id, other] = await nodes(s, 2);
      expect(await s.onlineScore(id!, { since: T0 })).toBe(1);
      const hour = (n: number): number => Math.floor(T0 / HOUR) * HOUR + n * HOUR;
      // Hour 0: 1 of 2; hour 1: 3 of 3; hour 5: 0 of 1.
      for (const [at, success] of [[hour(0) + 1, true], [hour(0) + 2, false], [hour(1), true], [hour(1) + 5, true], [hour(1) + HOUR - 1, true], [hour(5) + 7, false]] as const) {
        await s.recordContact(id!, { at, success });
      }
      await s.recordContact(other!, { at: hour(1), success: false });
      expect(await s.onlineScore(id!, { since: hour(0) })).toBeCloseTo(4 / 6, 12);
      // The window holding `since` counts whole.
      expect(await s.onlineScore(id!, { since: hour(1) + 30 })).toBeCloseTo(3 / 4, 12);
      expect(await s.onlineScore(id!, { since: hour(2) })).toBe(0);
      expect(await s.onlineScore(id!, { since: hour(6) })).toBe(1);
      expect(await s.onlineScore(other!, { since: hour(0) })).toBe(0);
      expect(await s.onlineScore(nodeId(), { since: hour(0) })).toBe(1);

      // Windows that ended before hour 2 go: hour 0 and hour 1 of both nodes.
      expect(await s.pruneContactWindows(hour(2))).toBe(3);
      expect(await s.onlineScore(id!, { since: hour(0) })).toBe(0);
      expect(await s.onlineScore(other!, { since: hour(0) })).toBe(1);
    });

    it('counts every one of many concurrent contacts', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.recordContact(id!, { at: T0 + i, success: i % 4 !== 0 })));
      expect(await s.onlineScore(id!, { since: T0 })).toBeCloseTo(15 / 20, 12);
    });

    it('moves the audit and unknown reputations as beta distributions with forgetting, counting audits', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      let expected = (await s.get(id!))!;
      const updates: ReputationUpdate[] = [
        { kind: 'audit', success: true, lambda: 0.95, weight: 1, at: T0 + 1 },
        { kind: 'audit', success: false, lambda: 0.95, weight: 1, at: T0 + 2 },
        { kind: 'unknown', success: false, lambda: 0.9, weight: 2, at: T0 + 3 },
        { kind: 'audit', success: true, lambda: 1, weight: 0.5, at: T0 + 4 },
        { kind: 'unknown', success: true, lambda: 0.95, weight: 1, at: T0 + 2 },
      ];
      for (const update of updates) {
        const got = await s.updateReputation(id!, update);
        expected = applyReputationUpdate(expected, update);
        expect(got).toEqual(expected);
      }
      expect(expected).toMatchObject({ auditSuccessCount: 2, auditTotalCount: 3, lastAuditAt: T0 + 4, auditBeta: 0.95 * 0 + 1 });
      expect(await s.get(id!)).toEqual(expected);
      expect(await s.updateReputation(nodeId(), updates[0]!)).toBeUndefined();
      for (const bad of [{ lambda: 0 }, { lambda: 1.5 }, { weight: 0 }, { weight: Number.NaN }, { kind: 'other' }] as const) {
        await expect(s.updateReputation(id!, { ...updates[0]!, ...bad } as ReputationUpdate)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      }
      expect(await s.get(id!)).toEqual(expected);
    });

    it('loses no reputation update among concurrent ones', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      await Promise.all(Array.from({ length: 20 }, (_, i) => s.updateReputation(id!, { kind: 'audit', success: i % 2 === 0, lambda: 1, weight: 1, at: T0 })));
      expect(await s.get(id!)).toMatchObject({ auditAlpha: 11, auditBeta: 10, auditSuccessCount: 10, auditTotalCount: 20 });
    });

    it('suspends a node with when and why, keeps the first suspension, and lifts it', async () => {
      const s = await open();
      const [id] = await nodes(s, 1);
      expect(await s.setSuspended(id!, { at: T0 + 1, reason: 'offline' })).toMatchObject({ suspendedAt: T0 + 1, suspendedReason: 'offline', status: 'active' });
      expect(await s.setSuspended(id!, { at: T0 + 2, reason: 'unknown audit score below threshold' })).toMatchObject({ suspendedAt: T0 + 1, suspendedReason: 'offline' });
      const lifted = await s.setSuspended(id!, null);
      expect(lifted).toMatchObject({ suspendedAt: null, suspendedReason: null });
      expect(await s.get(id!)).toEqual(lifted);
      expect(await s.setSuspended(nodeId(), null)).toBeUndefined();
      await expect(s.setSuspended(id!, { at: T0, reason: '' })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    });

    it('lists every node of every status in id order, page by page', async () => {
      const s = await open();
      const all = await nodes(s, 7);
      await s.setStatus({ id: all[0]!, from: 'active', to: 'disqualified', at: T0 + 1 });
      await s.setStatus({ id: all[1]!, from: 'active', to: 'exiting', at: T0 + 1 });
      const seen: NodeRecord[] = [];
      for (let cursor: Uint8Array | undefined; ; ) {
        const page = await s.listNodes({ limit: 3, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...page);
        if (page.length < 3) break;
        cursor = page.at(-1)!.id;
      }
      expect(seen.map((n) => hex(n.id))).toEqual(all.map(hex).sort());
      expect(seen.find((n) => hex(n.id) === hex(all[0]!))?.status).toBe('disqualified');
      expect(await s.listNodes({ limit: 100, cursor: new Uint8Array(32).fill(0xff) })).toEqual([]);
      await expect(s.listNodes({ limit: 0 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
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
        await s.recordContact(b!, { at: T0 + 6, success: false });
        await s.setSuspended(b!, { at: T0 + 7, reason: 'offline' });
        await s.updateReputation(b!, { kind: 'unknown', success: false, lambda: 0.95, weight: 1, at: T0 + 8 });
        const plain = await s.get(b!);
        const again = (store = await reopen(s));
        expect(await again.get(a!)).toEqual(exiting);
        expect(await again.get(b!)).toEqual(plain);
        expect(await again.onlineScore(b!, { since: T0 })).toBe(0);
      });
    }
  });
}
