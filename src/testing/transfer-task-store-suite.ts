/**
 * The `TransferTaskStore` contract as a test suite. The memory, SQLite and PostgreSQL stores run
 * it, and so should a store you write:
 *
 * ```ts
 * import { transferTaskStoreSuite } from 'handoff/testing';
 * transferTaskStoreSuite({
 *   name: 'my store',
 *   open: async () => MyStore.open(freshDatabase()),
 *   reopen: async (store) => { await store.close(); return MyStore.open(sameDatabase()); },
 * });
 * ```
 *
 * It checks round-trips of every field, compare-and-swap updates (single, bulk, racing), the two
 * uniqueness rules (one active task per route, one task per idempotent request item), idempotency
 * key claims (their expiry and the batched sweep that forgets them), browsing (filters, window,
 * paging) and, when `reopen` is given, durability. Last, it runs a `TransferCore` over the store:
 * concurrent copies of one idempotent request, and terminal tasks that no push may change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { InMemoryProviderDirectory, TransferCore, type ProviderGateway, type TransferItemResult } from '../transfer/core/index.js';
import { newTask, type NewTransferTask, type TaskDraft } from '../transfer/lifecycle.js';
import type { TaskChange, TransferTaskStore } from '../transfer/store/port.js';
import { TERMINAL_STATES, type ProviderTransferRequest, type TaskState, type TransferTask } from '../transfer/types.js';

/** How {@link transferTaskStoreSuite} opens the store under test. */
export interface TransferTaskStoreSuiteSetup {
  /** Names the `describe` block, e.g. `'SQLite'`. */
  readonly name: string;
  /** A new, empty store for one test. The suite closes it. */
  open(): Promise<TransferTaskStore>;
  /** Closes `store` and opens the same data again; omit for stores that keep nothing. */
  reopen?(store: TransferTaskStore): Promise<TransferTaskStore>;
}

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
/** For claims at T0 and later: nothing claimed since the epoch has expired. */
const NEVER = 0;

function draft(n: number, overrides: Partial<TaskDraft> = {}): TaskDraft {
  return {
    initiatedBy: 'alice',
    sourceProvider: 'hippo',
    sourcePath: `/4123/source-${n}`,
    destinationProvider: 'aau',
    destinationPath: '/5243/inbox',
    idempotencyKey: null,
    requestIndex: null,
    ...overrides,
  };
}

function task(n: number, overrides: Partial<TaskDraft> = {}, at = T0): NewTransferTask {
  return newTask(draft(n, overrides), at);
}

/** The change the lifecycle would make: new values, next revision. */
function changed(t: TransferTask, patch: Partial<TransferTask>, at = t.lastUpdate + 1000): TaskChange {
  return { task: { ...t, ...patch, lastUpdate: at, revision: t.revision + 1 }, expectedRevision: t.revision };
}

/** How many copies of one request the concurrency tests fire at once. */
const COPIES = 8;

/**
 * A core over `store` in a small world: alice may move `/4123/...` (at hippo) to `/5243/inbox`
 * (at aau); hippo accepts whatever it is forwarded and records it.
 */
function coreOver(store: TransferTaskStore): { core: TransferCore; forwarded: ProviderTransferRequest[] } {
  const world = new InMemoryProviderDirectory()
    .addDrive('4123', 'hippo').addDrive('5243', 'aau')
    .grant('alice', '4123', 'read').grant('alice', '5243', 'edit')
    .allocate('alice', 'hippo').allocate('alice', 'aau')
    .addFolder('/5243/inbox');
  for (let i = 0; i < 6; i++) world.addFolder(`/4123/results-${i}`);
  const forwarded: ProviderTransferRequest[] = [];
  const gateway: ProviderGateway = {
    async forwardTransfers(_provider, requests) {
      forwarded.push(...requests);
      return requests.map(() => ({ ok: true, capabilities: { canPause: true } }));
    },
    async control() {},
  };
  const core = new TransferCore({ store, drives: world, permissions: world, allocations: world, files: world, gateway, clock: new ManualClock(T0) });
  return { core, forwarded };
}

/** Lets other promises run `n` times: staggers concurrent work without waiting on a clock. */
async function yieldTimes(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** An answer reduced to what a client compares: a task id, or the check that refused the item. */
const outcome = (r: TransferItemResult): number | string => (r.ok ? r.taskId : r.check);

/** Registers the store contract tests for one implementation. */
export function transferTaskStoreSuite(setup: TransferTaskStoreSuiteSetup): void {
  describe(`transfer task store: ${setup.name}`, () => {
    let store: TransferTaskStore | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    const open = async (): Promise<TransferTaskStore> => (store = await setup.open());

    it('gives new tasks increasing ids and returns every field as written', async () => {
      const s = await open();
      await s.claimIdempotencyKey('alice', 'req-1', 'fp', T0, NEVER);
      const a = await s.insert(task(1, { sourcePath: '/4123/données/ü 文件 "quoted" \'single\'' }));
      const b = await s.insert(task(2, { idempotencyKey: 'req-1', requestIndex: 3 }, T0 + 1));
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toEqual({ ...task(1, { sourcePath: '/4123/données/ü 文件 "quoted" \'single\'' }), id: a.id });
      expect(await s.get(a.id)).toEqual(a);
      expect(await s.get(b.id)).toEqual(b);
      expect(await s.get(b.id + 1000)).toBeUndefined();
    });

    it('keeps fractional progress, capabilities, long statuses and reasons exactly', async () => {
      const s = await open();
      const a = await s.insert(task(1));
      const status = `12.3 MB/s, ETA 4:05 — ${'x'.repeat(1000)}`;
      const next = changed(a, {
        state: 'FAILURE', progress: 33.333333333333336, status, failureReason: 'disk quota exceeded',
        capabilities: { canPause: true }, pausedByUser: true,
      });
      await s.update(next);
      expect(await s.get(a.id)).toEqual(next.task);
    });

    it('reads many tasks in one call, skipping unknown ids', async () => {
      const s = await open();
      const a = await s.insert(task(1));
      const b = await s.insert(task(2));
      const found = await s.getMany([b.id, a.id, a.id, 999_999]);
      expect(found.sort((x, y) => x.id - y.id)).toEqual([a, b]);
      expect(await s.getMany([])).toEqual([]);
    });

    it('applies an update only against the revision it read (compare-and-swap)', async () => {
      const s = await open();
      const a = await s.insert(task(1));
      const first = changed(a, { state: 'RUNNING', progress: 10 });
      await s.update(first);
      const stale = changed(a, { state: 'PAUSED', progress: 5 });
      await expect(s.update(stale)).rejects.toMatchObject({ name: 'AbortedError' });
      expect(await s.get(a.id)).toEqual(first.task);
      await expect(s.update(changed({ ...a, id: a.id + 1000 }, { progress: 1 }))).rejects.toMatchObject({ name: 'NotFoundError' });
    });

    it('lets exactly one of two racing updates win', async () => {
      const s = await open();
      const a = await s.insert(task(1));
      const left = changed(a, { state: 'RUNNING', progress: 40 });
      const right = changed(a, { state: 'HALTED', failureReason: 'canceled by the user' });
      const outcomes = await Promise.allSettled([s.update(left), s.update(right)]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({ name: 'AbortedError' });
      const winner = outcomes[0]!.status === 'fulfilled' ? left : right;
      expect(await s.get(a.id)).toEqual(winner.task);
    });

    it('never changes what a task is about, whatever an update carries', async () => {
      const s = await open();
      await s.claimIdempotencyKey('alice', 'k', 'fp', T0, NEVER);
      const a = await s.insert(task(1, { idempotencyKey: 'k', requestIndex: 0 }));
      const sneaky = changed(a, {
        progress: 5, initiatedBy: 'mallory', sourceProvider: 'evil', sourcePath: '/etc', destinationProvider: 'evil',
        destinationPath: '/tmp', idempotencyKey: 'other', requestIndex: 9, createdAt: 0,
      });
      await s.update(sneaky);
      expect(await s.get(a.id)).toEqual({ ...a, progress: 5, lastUpdate: sneaky.task.lastUpdate, revision: 1 });
    });

    it('applies a bulk of compare-and-swaps and reports each one', async () => {
      const s = await open();
      const tasks: TransferTask[] = [];
      for (let i = 0; i < 150; i++) tasks.push(await s.insert(task(i)));
      const [stale, ...rest] = tasks;
      await s.update(changed(stale!, { progress: 1 }));
      const gone = { ...tasks[0]!, id: tasks.at(-1)!.id + 1000 };
      const changes = [changed(stale!, { progress: 2 }), ...rest.map((t, i) => changed(t, { state: 'RUNNING', progress: i / 3 })), changed(gone, { progress: 3 })];
      const applied = await s.updateMany(changes);
      expect(applied).toEqual([false, ...rest.map(() => true), false]);
      expect((await s.get(stale!.id))!.progress).toBe(1);
      for (const [i, t] of rest.entries()) expect(await s.get(t.id)).toEqual(changes[i + 1]!.task);
      expect(await s.updateMany([])).toEqual([]);
    });

    it('refuses a bulk with two changes to one task', async () => {
      const s = await open();
      const a = await s.insert(task(1));
      await expect(s.updateMany([changed(a, { progress: 1 }), changed(a, { progress: 2 })])).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      expect(await s.get(a.id)).toEqual(a);
    });

    it('holds at most one active task per route, and frees the route when the task ends', async () => {
      const s = await open();
      const a = await s.insert(task(1));
      await expect(s.insert(task(1, { initiatedBy: 'bob' }))).rejects.toMatchObject({
        name: 'AlreadyExistsError', details: { conflict: 'active-route' },
      });
      expect(await s.findActive(a)).toEqual(a);
      // Any difference in the route is another transfer.
      for (const other of [{ sourceProvider: 'x' }, { sourcePath: '/4123/other' }, { destinationProvider: 'y' }, { destinationPath: '/5243/other' }]) {
        const t = await s.insert(task(1, other));
        expect(await s.findActive(t)).toEqual(t);
      }
      const running = changed(a, { state: 'RUNNING' });
      await s.update(running);
      expect(await s.findActive(a)).toEqual(running.task);
      await s.update(changed(running.task, { state: 'SUCCESS', progress: 100 }));
      expect(await s.findActive(a)).toBeUndefined();
      const again = await s.insert(task(1));
      expect(await s.findActive(a)).toEqual(again);
    });

    it('finds active routes with very long paths', async () => {
      const s = await open();
      const long = `/4123/${'päth/'.repeat(800)}end`;
      const a = await s.insert(task(1, { sourcePath: long, destinationPath: `/5243/${'d'.repeat(4000)}` }));
      expect(await s.findActive(a)).toEqual(a);
      await expect(s.insert(task(1, { sourcePath: long, destinationPath: `/5243/${'d'.repeat(4000)}` }))).rejects.toMatchObject({ name: 'AlreadyExistsError' });
    });

    it('keeps one task per idempotent request item, per user', async () => {
      const s = await open();
      await s.claimIdempotencyKey('alice', 'retry-me', 'fp', T0, NEVER);
      await s.claimIdempotencyKey('bob', 'retry-me', 'fp', T0, NEVER);
      const a = await s.insert(task(1, { idempotencyKey: 'retry-me', requestIndex: 0 }));
      const b = await s.insert(task(2, { idempotencyKey: 'retry-me', requestIndex: 1 }));
      await expect(s.insert(task(3, { idempotencyKey: 'retry-me', requestIndex: 1 }))).rejects.toMatchObject({
        name: 'AlreadyExistsError', details: { conflict: 'idempotency' },
      });
      const bobs = await s.insert(task(4, { initiatedBy: 'bob', idempotencyKey: 'retry-me', requestIndex: 0 }));
      expect(await s.findByIdempotencyKey('alice', 'retry-me')).toEqual([a, b]);
      expect(await s.findByIdempotencyKey('bob', 'retry-me')).toEqual([bobs]);
      expect(await s.findByIdempotencyKey('alice', 'unknown')).toEqual([]);
    });

    it('remembers the first fingerprint claimed for an idempotency key', async () => {
      const s = await open();
      expect(await s.claimIdempotencyKey('alice', 'k', 'fp-1', T0, NEVER)).toBe('fp-1');
      expect(await s.claimIdempotencyKey('alice', 'k', 'fp-2', T0 + 1, NEVER)).toBe('fp-1');
      expect(await s.claimIdempotencyKey('bob', 'k', 'fp-3', T0, NEVER)).toBe('fp-3');
      const racing = await Promise.all([s.claimIdempotencyKey('carol', 'k', 'a', T0, NEVER), s.claimIdempotencyKey('carol', 'k', 'b', T0, NEVER)]);
      expect(racing[0]).toBe(racing[1]);
    });

    it('refuses a task for an idempotency key nobody holds, since it would belong to no request', async () => {
      const s = await open();
      await expect(s.insert(task(1, { idempotencyKey: 'never-claimed', requestIndex: 0 }))).rejects.toMatchObject({ name: 'FailedPreconditionError' });
      expect(await s.browse({ initiatedBy: 'alice', limit: 10 })).toEqual([]);
      expect(await s.findActive(task(1))).toBeUndefined();
    });

    it('treats an expired claim as absent: the key starts a new request and the old tasks stay as they were', async () => {
      const s = await open();
      await s.claimIdempotencyKey('alice', 'k', 'fp-1', T0, NEVER);
      const first = [await s.insert(task(1, { idempotencyKey: 'k', requestIndex: 0 })), await s.insert(task(2, { idempotencyKey: 'k', requestIndex: 1 }))];
      // A day later, with a one-day expiry: claimed exactly at the cutoff is still live.
      expect(await s.claimIdempotencyKey('alice', 'k', 'fp-2', T0 + DAY, T0)).toBe('fp-1');
      expect(await s.findByIdempotencyKey('alice', 'k')).toEqual(first);
      // One millisecond later it has expired: the new request's fingerprint wins and its items start over.
      expect(await s.claimIdempotencyKey('alice', 'k', 'fp-2', T0 + DAY + 1, T0 + 1)).toBe('fp-2');
      expect(await s.findByIdempotencyKey('alice', 'k')).toEqual([]);
      const again = await s.insert(task(3, { idempotencyKey: 'k', requestIndex: 0 }, T0 + DAY + 1));
      expect(await s.findByIdempotencyKey('alice', 'k')).toEqual([again]);
      await expect(s.insert(task(4, { idempotencyKey: 'k', requestIndex: 0 }, T0 + DAY + 1))).rejects.toMatchObject({
        name: 'AlreadyExistsError', details: { conflict: 'idempotency' },
      });
      expect(await s.getMany(first.map((t) => t.id))).toEqual(expect.arrayContaining(first));
      // The renewed claim is live again for its own expiry.
      expect(await s.claimIdempotencyKey('alice', 'k', 'fp-3', T0 + DAY + 2, T0 + 1)).toBe('fp-2');
    });

    it('forgets the claims made before the cutoff and keeps the others, leaving tasks alone', async () => {
      const s = await open();
      await s.claimIdempotencyKey('alice', 'old', 'fp-old', T0, NEVER);
      await s.claimIdempotencyKey('alice', 'at-cutoff', 'fp-cut', T0 + 1000, NEVER);
      await s.claimIdempotencyKey('bob', 'new', 'fp-new', T0 + 2000, NEVER);
      const old = await s.insert(task(1, { idempotencyKey: 'old', requestIndex: 0 }));
      expect(await s.forgetIdempotencyKeys(T0 + 1000, 10)).toBe(1);
      expect(await s.get(old.id)).toEqual(old);
      expect(await s.findByIdempotencyKey('alice', 'old')).toEqual([]);
      // Forgotten: a new request may claim it. Kept: the first fingerprint still wins.
      expect(await s.claimIdempotencyKey('alice', 'old', 'fp-reused', T0 + 3000, NEVER)).toBe('fp-reused');
      expect(await s.claimIdempotencyKey('alice', 'at-cutoff', 'other', T0 + 3000, NEVER)).toBe('fp-cut');
      expect(await s.claimIdempotencyKey('bob', 'new', 'other', T0 + 3000, NEVER)).toBe('fp-new');
      expect(await s.forgetIdempotencyKeys(T0 + 1000, 10)).toBe(0);
    });

    it('forgets claims in batches of at most the limit, oldest first', async () => {
      const s = await open();
      // Claimed newest first, so the oldest-first order cannot come from insertion order.
      for (let i = 4; i >= 0; i--) await s.claimIdempotencyKey('alice', `key-${i}`, `fp-${i}`, T0 + i, NEVER);
      const cutoff = T0 + 100;
      expect(await s.forgetIdempotencyKeys(cutoff, 2)).toBe(2);
      const reclaim = (i: number) => s.claimIdempotencyKey('alice', `key-${i}`, 'again', cutoff + 1, NEVER);
      expect([await reclaim(0), await reclaim(1), await reclaim(2)]).toEqual(['again', 'again', 'fp-2']);
      expect(await s.forgetIdempotencyKeys(cutoff, 2)).toBe(2);
      expect(await s.forgetIdempotencyKeys(cutoff, 2)).toBe(1);
      expect(await s.forgetIdempotencyKeys(cutoff, 2)).toBe(0);
      await expect(s.forgetIdempotencyKeys(cutoff, 0)).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    });

    it('browses one user\'s tasks newest first, in pages', async () => {
      const s = await open();
      const ids: number[] = [];
      for (let i = 0; i < 7; i++) ids.push((await s.insert(task(i))).id);
      await s.insert(task(99, { initiatedBy: 'bob' }));
      const first = await s.browse({ initiatedBy: 'alice', limit: 3 });
      expect(first.map((t) => t.id)).toEqual(ids.slice(4).reverse());
      const second = await s.browse({ initiatedBy: 'alice', limit: 3, beforeId: first.at(-1)!.id });
      expect(second.map((t) => t.id)).toEqual(ids.slice(1, 4).reverse());
      const last = await s.browse({ initiatedBy: 'alice', limit: 3, beforeId: second.at(-1)!.id });
      expect(last.map((t) => t.id)).toEqual([ids[0]]);
      expect(await s.browse({ initiatedBy: 'nobody', limit: 10 })).toEqual([]);
    });

    it('browses by state and by provider at either end', async () => {
      const s = await open();
      const a = await s.insert(task(1));
      const b = await s.insert(task(2, { sourceProvider: 'aau', destinationProvider: 'sdu' }));
      const c = await s.insert(task(3, { sourceProvider: 'sdu', destinationProvider: 'hippo' }));
      await s.update(changed(b, { state: 'RUNNING' }));
      const ids = async (q: { states?: TaskState[]; provider?: string }) => (await s.browse({ initiatedBy: 'alice', limit: 10, ...q })).map((t) => t.id);
      expect(await ids({ states: ['RUNNING'] })).toEqual([b.id]);
      expect(await ids({ states: ['INITIATED', 'RUNNING'] })).toEqual([c.id, b.id, a.id]);
      expect(await ids({ states: [] })).toEqual([]);
      expect(await ids({ provider: 'aau' })).toEqual([b.id, a.id]);
      expect(await ids({ provider: 'hippo' })).toEqual([c.id, a.id]);
      expect(await ids({ provider: 'sdu', states: ['INITIATED'] })).toEqual([c.id]);
    });

    it('shows active tasks always and finished ones only within the time window', async () => {
      const s = await open();
      const day = 86_400_000;
      const active = await s.insert(task(1));
      const finishedAt = async (n: number, at: number) => {
        const t = await s.insert(task(n));
        const done = changed(t, { state: 'SUCCESS', progress: 100 }, at);
        await s.update(done);
        return done.task;
      };
      const old = await finishedAt(2, T0 - 10 * day);
      const recent = await finishedAt(3, T0 - day);
      const ids = async (q: { since?: number; until?: number }) => (await s.browse({ initiatedBy: 'alice', limit: 10, ...q })).map((t) => t.id);
      expect(await ids({})).toEqual([recent.id, old.id, active.id]);
      expect(await ids({ since: T0 - 7 * day })).toEqual([recent.id, active.id]);
      expect(await ids({ since: T0 - 20 * day, until: T0 - day })).toEqual([old.id, active.id]);
      expect(await ids({ since: T0 - day, until: T0 })).toEqual([recent.id, active.id]);
    });

    it('gives concurrent copies of one keyed request the same tasks, each created once', async () => {
      const s = await open();
      // What every copy of a client's retry does: claim the key, then create each item's task or find the one a copy created.
      const copy = async (): Promise<number[]> => {
        expect(await s.claimIdempotencyKey('alice', 'retry', 'fp', T0, NEVER)).toBe('fp');
        const ids: number[] = [];
        for (let index = 0; index < 5; index++) {
          try {
            ids.push((await s.insert(task(index, { idempotencyKey: 'retry', requestIndex: index }))).id);
          } catch (err) {
            expect(err).toMatchObject({ name: 'AlreadyExistsError' });
            const twin = (await s.findByIdempotencyKey('alice', 'retry')).find((t) => t.requestIndex === index);
            expect(twin).toBeDefined();
            ids.push(twin!.id);
          }
        }
        return ids;
      };
      const answers = await Promise.all(Array.from({ length: COPIES }, copy));
      for (const ids of answers) expect(ids).toEqual(answers[0]);
      const stored = await s.findByIdempotencyKey('alice', 'retry');
      expect(stored.map((t) => t.id)).toEqual(answers[0]);
      expect(stored.map((t) => t.requestIndex)).toEqual([0, 1, 2, 3, 4]);
      expect(await s.browse({ initiatedBy: 'alice', limit: 100 })).toHaveLength(5);
    });

    describe('under a TransferCore', () => {
      const inbox = '/5243/inbox';

      it('answers concurrent copies of one keyed request with the same task ids, and creates each task once', async () => {
        const s = await open();
        const { core, forwarded } = coreOver(s);
        const items = [
          { sourcePath: '/4123/results-0', destinationPath: inbox },
          { sourcePath: '/4123/missing', destinationPath: inbox },
          { sourcePath: '/4123/results-1', destinationPath: inbox },
          { sourcePath: '/4123/results-0', destinationPath: inbox },
          { sourcePath: '/4123/results-2', destinationPath: inbox },
        ];
        // Copies that start together race on each insert; copies that start a little later check items
        // whose tasks an earlier copy has just created. Both must see those tasks as their own.
        const answers = await Promise.all(Array.from({ length: COPIES }, async (_, k) => {
          await yieldTimes(k * 7);
          return core.transferFilesBetweenProviders('alice', items, { idempotencyKey: 'submit-1' });
        }));
        const first = answers[0]!.map(outcome);
        // Item 3 repeats item 0's route within the request: it is refused in every copy, never answered with item 0's task.
        expect(first).toEqual([expect.any(Number), 'source-metadata', expect.any(Number), 'already-active', expect.any(Number)]);
        for (const answer of answers) expect(answer.map(outcome)).toEqual(first);
        const ids = first.filter((x): x is number => typeof x === 'number');
        const stored = await s.browse({ initiatedBy: 'alice', limit: 100 });
        expect(stored.map((t) => t.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
        expect((await s.findByIdempotencyKey('alice', 'submit-1')).map((t) => t.id)).toEqual(ids);
        // Every task reached its provider, whichever copy created it.
        expect(new Set(forwarded.map((r) => r.taskId))).toEqual(new Set(ids));
        // A retry after the dust settles gets the same answer.
        expect((await core.transferFilesBetweenProviders('alice', items, { idempotencyKey: 'submit-1' })).map(outcome)).toEqual(first);
      });

      it('refuses every concurrent copy whose items differ from those the key was first claimed for', async () => {
        const s = await open();
        const { core } = coreOver(s);
        const a = [{ sourcePath: '/4123/results-0', destinationPath: inbox }, { sourcePath: '/4123/results-1', destinationPath: inbox }];
        const b = [{ sourcePath: '/4123/results-2', destinationPath: inbox }];
        const copies = Array.from({ length: COPIES }, (_, i) => (i % 2 === 0 ? a : b));
        const settled = await Promise.allSettled(copies.map((items) => core.transferFilesBetweenProviders('alice', items, { idempotencyKey: 'submit-2' })));
        const won = settled.flatMap((r, i) => (r.status === 'fulfilled' ? [{ items: copies[i]!, answer: r.value.map(outcome) }] : []));
        const lost = settled.flatMap((r, i) => (r.status === 'rejected' ? [{ items: copies[i]!, reason: r.reason as unknown }] : []));
        expect(won).toHaveLength(COPIES / 2);
        expect(lost).toHaveLength(COPIES / 2);
        const winner = won[0]!.items;
        for (const w of won) expect(w).toEqual({ items: winner, answer: won[0]!.answer });
        for (const l of lost) {
          expect(l.items).not.toBe(winner);
          expect(l.reason).toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/different request/) });
        }
        expect(won[0]!.answer).toEqual(winner.map(() => expect.any(Number)));
        expect(await s.browse({ initiatedBy: 'alice', limit: 100 })).toHaveLength(winner.length);
      });

      it('refuses every change to a terminal task the same way, whichever terminal state it is in', async () => {
        const s = await open();
        const { core } = coreOver(s);
        for (const [i, state] of TERMINAL_STATES.entries()) {
          const [created] = await core.transferFilesBetweenProviders('alice', [{ sourcePath: `/4123/results-${i}`, destinationPath: inbox }]);
          const id = created?.ok ? created.taskId : Number.NaN;
          expect(await core.updateTransferTask('hippo', [{ taskId: id, newState: 'RUNNING', newProgress: 60, newStatus: 'copying' }])).toEqual([{ ok: true }]);
          expect(await core.updateTransferTask('hippo', [{ taskId: id, newState: state }])).toEqual([{ ok: true }]);
          const final = await s.get(id);
          expect(final).toMatchObject({ state, progress: state === 'SUCCESS' ? 100 : 60 });
          const pushes = [{ newProgress: 30 }, { newProgress: final!.progress === 100 ? 100 : 80 }, { newStatus: 'still here?' }, { newState: 'RUNNING' }];
          const results = await core.updateTransferTask('hippo', pushes.map((p) => ({ taskId: id, ...p })));
          // The push of exactly what the task holds changes nothing and is accepted; everything else is refused.
          const expected = pushes.map((p) => (p.newProgress === final!.progress ? { ok: true } : { ok: false, code: 'FailedPrecondition', reason: expect.stringMatching(/terminal/) }));
          expect(results).toEqual(expected);
          expect(await s.get(id)).toEqual(final);
        }
      });
    });

    if (setup.reopen) {
      const reopen = setup.reopen.bind(setup);
      it('keeps tasks, claims and the id sequence across a reopen', async () => {
        const s = await open();
        await s.claimIdempotencyKey('alice', 'k', 'fp', T0, NEVER);
        const a = await s.insert(task(1, { idempotencyKey: 'k', requestIndex: 0 }));
        const running = changed(a, { state: 'RUNNING', progress: 2.76, capabilities: { canPause: false } });
        await s.update(running);
        const again = (store = await reopen(s));
        expect(await again.get(a.id)).toEqual(running.task);
        expect(await again.findActive(a)).toEqual(running.task);
        expect(await again.findByIdempotencyKey('alice', 'k')).toEqual([running.task]);
        expect(await again.claimIdempotencyKey('alice', 'k', 'other', T0, NEVER)).toBe('fp');
        const b = await again.insert(task(2));
        expect(b.id).toBeGreaterThan(a.id);
      });
    }
  });
}
