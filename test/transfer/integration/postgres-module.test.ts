/**
 * The integration module on the PostgreSQL store, both providers in one database: what anyone
 * was told is already in PostgreSQL (a store opened afresh, as after a crash, sees it), and
 * updates kept while the core is down are delivered in order after a restart.
 */
import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryCoreLink, MemoryPeerNetwork } from '../../../src/transfer/integration/memory.js';
import { PostgresIntegrationStore } from '../../../src/transfer/integration/postgres-store.js';
import { ProviderIntegration } from '../../../src/transfer/integration/provider-integration.js';
import type { TaskId } from '../../../src/transfer/types.js';
import { describeWith } from '../../support/env.js';
import { createPool } from '../../../src/sql/postgres.js';
import { postgresUnavailable, useTestDatabase } from '../../support/postgres.js';
import { FakeReceiver, RestorablePlugin } from './fakes.js';
import { keepsUpdatesWhileCoreIsDown } from './stories.js';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
let worlds = 0;

describeWith('PostgreSQL', postgresUnavailable, 'the integration module on PostgreSQL', () => {
  const db = useTestDatabase();

  /** Opens a store as a restarted process would; the test closes it. */
  async function storeOf(providerId: string): Promise<PostgresIntegrationStore> {
    const store = await PostgresIntegrationStore.open({ connectionString: db.url, providerId });
    closers.push(() => store.close());
    return store;
  }

  async function providers() {
    const n = ++worlds;
    const ids = { a: `a${n}`, b: `b${n}` };
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const core = new MemoryCoreLink();
    const network = new MemoryPeerNetwork();
    const plugin = new RestorablePlugin();
    const errors: string[] = [];
    const openA = async () => {
      const store = await storeOf(ids.a);
      const im = await ProviderIntegration.open({ providerId: ids.a, store, core, peers: network.linkFor(ids.a), plugin, clock, onError: (_e, c) => void errors.push(c) });
      network.register(ids.a, im);
      closers.push(() => im.close());
      return im;
    };
    const a = await openA();
    const b = await ProviderIntegration.open({ providerId: ids.b, store: await storeOf(ids.b), core: new MemoryCoreLink(), peers: network.linkFor(ids.b), receiver: new FakeReceiver(), clock });
    network.register(ids.b, b);
    closers.push(() => b.close());
    const w = {
      ids, clock, core, plugin, errors, a, openA,
      async forward(taskId: TaskId) {
        const [answer] = await w.a.acceptTransfers([{ taskId, sourcePath: '/home/u/run', destinationPath: '/inbox', destinationProvider: ids.b }]);
        expect(answer).toEqual({ ok: true, capabilities: { canPause: true } });
        const publicKey = await w.a.issueTransferKey(taskId);
        await b.authorizeTransferKey({ taskId, publicKey, sourceProvider: ids.a, destinationPath: '/inbox' });
      },
      async after(ms: number) {
        clock.advance(ms);
        await w.a.tick();
      },
      states: (taskId: TaskId) => core.updatesFor(taskId).flatMap((u) => (u.newState ? [u.newState] : [])),
    };
    return w;
  }

  it('has written down whatever the core, the destination or the receiver was told', async () => {
    const w = await providers();
    await w.forward(1);
    // Accepted and authorized: both ends already on disk, before anything else ran.
    expect((await storeOf(w.ids.a)).getOutgoing(1)).toMatchObject({ state: 'INITIATED', destinationProvider: w.ids.b });
    expect((await storeOf(w.ids.b)).getIncoming(1)).toMatchObject({ sourceProvider: w.ids.a, destinationPath: '/inbox', releasedAt: null });
    await w.after(0);
    w.plugin.report(1, { state: 'RUNNING', progress: 40 });
    await w.after(500);
    expect(w.states(1)).toEqual(['RUNNING']);
    const crashed = await storeOf(w.ids.a);
    const pid = w.a.getTask(1)?.pid;
    expect(pid).toEqual(expect.any(Number));
    expect(crashed.getOutgoing(1)).toMatchObject({ state: 'RUNNING', progress: 40, pid, parameters: { host: 'b.example.org', port: 22 } });
    expect(crashed.pendingUpdates(10)).toEqual([]); // acknowledged by the core, and that is on disk too
    w.plugin.report(1, { state: 'SUCCESS', progress: 100 });
    await w.after(500);
    await w.after(500);
    expect(w.states(1)).toEqual(['RUNNING', 'SUCCESS']);
    expect((await storeOf(w.ids.b)).getIncoming(1)?.releasedAt).toEqual(expect.any(Number));
    expect(w.errors).toEqual([]);
  });

  it('answers the core only once the accepted task is in the database', async () => {
    const providerId = `gated${++worlds}`;
    const pool = createPool(db.url);
    closers.push(() => pool.end());
    const store = await PostgresIntegrationStore.open({ pool, providerId });
    closers.push(() => store.close());
    // From here on, no write reaches PostgreSQL until the gate opens.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const connect = pool.connect.bind(pool);
    Object.assign(pool, { connect: async () => (await gate, connect()) });
    closers.push(() => open()); // a failed test must not leave the store waiting on the gate
    const im = await ProviderIntegration.open({ providerId, store, core: new MemoryCoreLink(), peers: new MemoryPeerNetwork().linkFor(providerId), plugin: new RestorablePlugin(), clock: new ManualClock(0) });
    closers.push(() => im.close());

    let answered = false;
    const answer = im.acceptTransfers([{ taskId: 5, sourcePath: '/home/u/run', destinationPath: '/inbox', destinationProvider: 'b' }]).finally(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(im.getTask(5)?.state).toBe('INITIATED'); // taken, in memory
    expect(answered).toBe(false); // but not answered: not durable yet
    expect((await storeOf(providerId)).getOutgoing(5)).toBeUndefined();
    open();
    expect(await answer).toEqual([{ ok: true, capabilities: { canPause: true } }]);
    expect((await storeOf(providerId)).getOutgoing(5)?.state).toBe('INITIATED');
  });

  it('keeps every update while the core is down and delivers them in order after a restart', async () => {
    await keepsUpdatesWhileCoreIsDown(await providers());
  });
});
