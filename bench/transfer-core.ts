/**
 * Can the core absorb status pushes for 10,000 active tasks at one update per task per second?
 * Source providers push in bulk (100 items per call); every item moves progress forward and
 * changes the status, so every item is a real compare-and-swap write, an event, and no no-op.
 * Reported as the sustained rate over the required 10,000 updates/s, on SQLite and (when
 * HANDOFF_PG_URL is set) PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryProviderDirectory, LocalProviderGateway, TransferCore } from '../src/transfer/core/index.js';
import type { TransferTaskStore } from '../src/transfer/store/port.js';
import { PostgresTransferTaskStore } from '../src/transfer/store/postgres.js';
import { SqliteTransferTaskStore } from '../src/transfer/store/sqlite.js';
import { createScratchDatabase } from '../src/sql/postgres.js';
import { fmt, opsPerSecond, type BenchRow, type BenchSection } from './lib.js';

const TASKS = 10_000;
const PER_CALL = 100;
const REQUIRED = 10_000;

export async function benchTransferCore(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];

  const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-core-'));
  try {
    const store = await SqliteTransferTaskStore.open({ path: join(dir, 'core.db') });
    rows.push(await measure('SQLite (WAL, one file)', store));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const url = process.env.HANDOFF_PG_URL;
  if (url) {
    const db = await createScratchDatabase(url, 'handoff_bench');
    try {
      const store = await PostgresTransferTaskStore.open({ connectionString: db.url });
      rows.push(await measure('PostgreSQL', store));
      await store.close();
    } finally {
      await db.drop();
    }
  } else {
    notes.push('PostgreSQL not measured: HANDOFF_PG_URL is not set.');
  }
  notes.push(`${fmt(TASKS)} RUNNING tasks, bulk calls of ${PER_CALL} items pushed one after another by one provider; each item is one compare-and-swap, batched per call.`);
  return { title: 'Transfer core: status pushes', rows, notes };
}

async function measure(name: string, store: TransferTaskStore): Promise<BenchRow> {
  const ids = await createRunningTasks(store);
  const core = coreOn(store).core;
  // Listeners are part of the real cost: a UI follows every change.
  let seen = 0;
  core.events.on('task', () => seen++);
  let call = 0;
  const rate = await opsPerSecond(async () => {
    const round = Math.floor((call * PER_CALL) / TASKS);
    const first = (call * PER_CALL) % TASKS;
    call++;
    const progress = Math.min(99.9, (round + 1) * 0.001);
    const items = ids.slice(first, first + PER_CALL).map((taskId) => ({ taskId, newProgress: progress, newStatus: `${round} MB/s` }));
    const results = await core.updateTransferTask('hippo', items);
    if (!results.every((r) => r.ok)) throw new Error(`bench update refused: ${JSON.stringify(results.find((r) => !r.ok))}`);
    return PER_CALL;
  }, 3000);
  if (seen === 0) throw new Error('no events seen');
  return {
    name: `status pushes, ${fmt(TASKS)} active tasks, ${PER_CALL} per call — ${name}`,
    value: `${fmt(rate)} updates/s`,
    baseline: `required load ${fmt(REQUIRED)} updates/s`,
    ratio: rate / REQUIRED,
    goal: '≥ 1',
  };
}

function coreOn(store: TransferTaskStore): { core: TransferCore; world: InMemoryProviderDirectory } {
  const world = new InMemoryProviderDirectory()
    .addDrive('1', 'hippo').addDrive('2', 'aau')
    .grant('bench', '1', 'read').grant('bench', '2', 'edit')
    .allocate('bench', 'hippo').allocate('bench', 'aau')
    .addFolder('/2/inbox');
  for (let i = 0; i < TASKS; i++) world.addFolder(`/1/dataset-${i}`);
  const gateway = new LocalProviderGateway().register('hippo', {
    forwardTransfers: async (requests) => requests.map(() => ({ ok: true, capabilities: { canPause: true } })),
    control: async () => {},
  });
  const core = new TransferCore({ store, drives: world, permissions: world, allocations: world, files: world, gateway });
  return { core, world };
}

/** Submits the tasks through the core (checks, insert, forward) and starts them all. */
async function createRunningTasks(store: TransferTaskStore): Promise<number[]> {
  const { core } = coreOn(store);
  const ids: number[] = [];
  for (let start = 0; start < TASKS; start += 1000) {
    const items = Array.from({ length: Math.min(1000, TASKS - start) }, (_, k) => ({ sourcePath: `/1/dataset-${start + k}`, destinationPath: '/2/inbox' }));
    for (const r of await core.transferFilesBetweenProviders('bench', items)) {
      if (!r.ok) throw new Error(`bench transfer refused: ${r.reason}`);
      ids.push(r.taskId);
    }
  }
  for (let start = 0; start < ids.length; start += 1000) {
    await core.updateTransferTask('hippo', ids.slice(start, start + 1000).map((taskId) => ({ taskId, newState: 'RUNNING' })));
  }
  return ids;
}
