/**
 * Node selection (issue 18): picking 110 nodes for one segment (Storj's production RS total)
 * among 10,000 registered nodes, from the satellite's selection cache (in memory) against the
 * store's own query (ORDER BY random() over the node table) in the same run, on SQLite and on
 * PostgreSQL; and how long one reload of the cache takes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../src/core/clock.js';
import { getCryptoProvider } from '../src/crypto/select.js';
import type { OverlayStore } from '../src/overlay/port.js';
import { SelectionCachedOverlay } from '../src/overlay/selection-cache.js';
import { PostgresOverlayStore } from '../src/overlay/store/postgres.js';
import { SqliteOverlayStore } from '../src/overlay/store/sqlite.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { fmt, opsPerSecond, serverVersion, type BenchRow, type BenchSection } from './lib.js';

const NODES = 10_000;
const PICK = 110;
const now = Date.now();
const query = { count: PICK, minFreeBytes: 2 ** 30, onlineWindowMs: 4 * 3600_000, now };

async function register(store: OverlayStore): Promise<void> {
  const random = getCryptoProvider();
  for (let i = 0; i < NODES; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, NODES - i) }, (_, j) =>
      store.checkIn({ id: random.randomBytes(32), address: `10.0.${(i + j) >> 8}.${(i + j) & 255}:28967`, wallet: '0x0', freeBytes: 2 ** 40, version: '1', at: now })));
  }
  // A tenth of the registry is not selectable: exiting or suspended.
  for (const node of (await store.listNodes({ limit: NODES })).slice(0, NODES / 10)) {
    if (node.id[0]! % 2 === 0) await store.setStatus({ id: node.id, from: 'active', to: 'exiting', at: now });
    else await store.setSuspended(node.id, { at: now, reason: 'bench' });
  }
}

async function measure(name: string, store: OverlayStore, rows: BenchRow[]): Promise<void> {
  await register(store);
  const cache = new SelectionCachedOverlay(store, { clock: systemClock, refreshMs: 3600_000 });
  try {
    await cache.start();
    const reloadStart = performance.now();
    await cache.reload();
    const reloadMs = performance.now() - reloadStart;
    const check = (picked: readonly unknown[]) => {
      if (picked.length !== PICK) throw new Error(`${name}: picked ${picked.length} nodes, expected ${PICK}`);
    };
    const direct = await opsPerSecond(async () => check(await store.selectForUpload(query)), 2000);
    const cached = await opsPerSecond(async () => check(await cache.selectForUpload(query)), 2000);
    rows.push({
      name: `${name}: ${PICK} nodes for one segment among ${fmt(NODES)} (selection cache)`,
      value: `${fmt(cached)} selections/s`,
      baseline: `store query (ORDER BY random()) ${fmt(direct, 1)}/s`,
      ratio: cached / direct,
      goal: '',
    });
    rows.push({
      name: `${name}: one reload of the cache (${fmt(NODES)} nodes)`,
      value: `${fmt(reloadMs, 1)} ms`,
      baseline: `one store selection ${fmt(1000 / direct, 2)} ms`,
      ratio: 1000 / direct / reloadMs,
      goal: '',
    });
  } finally {
    await cache.close();
  }
}

export async function benchSelection(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const load = os.loadavg()[0]!;
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-selection-'));
  try {
    await measure('SQLite', await SqliteOverlayStore.open({ path: join(dir, 'overlay.db') }), rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.HANDOFF_PG_URL) {
    const db = await createTestDatabase();
    try {
      await measure('PostgreSQL', await PostgresOverlayStore.open({ connectionString: db.url }), rows);
      notes.push(`PostgreSQL ${(await serverVersion(db.url)) ?? ''}.`);
    } finally {
      await db.drop();
    }
  } else {
    notes.push('PostgreSQL not measured: HANDOFF_PG_URL is not set.');
  }
  notes.unshift(
    `One caller, one process; 10% of the nodes exiting or suspended. The cache is what the satellite selects from; the store query is what every segment cost before. A reload happens once per \`selectionRefreshMs\` (60 s by default), in the background. Load average ${fmt(load, 2)} → ${fmt(os.loadavg()[0]!, 2)} (the machine is shared).`,
  );
  return { title: 'Node selection (issue 18)', rows, notes };
}
