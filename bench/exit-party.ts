/**
 * One party of bench/exit.ts in a process of its own, so each side's CPU and peak memory are
 * measured apart. Every role prints one JSON line when ready, then answers stdin commands with
 * one JSON line each:
 *
 * - `mark`  — remember CPU usage now; `{}`
 * - `stats` — `{ cpuMs, systemMs, gc, maxRssKiB }`: CPU (user + system; and the system part) and garbage
 *   collections (count and pause ms, minor and major) since the mark, lifetime peak RSS
 * - `go`    — (exiting, raw-sender) run the measured work; `{ ms, ... }`
 * - `exit`  — close everything and exit
 *
 *   tsx bench/exit-party.ts <role> '<json options>'
 *
 * Roles: `satellite` (a Satellite over a seeded SQLite store), `nodes` (N storage nodes with
 * filesystem piece stores), `exiting` (the exiting storage node, its pieces already seeded),
 * `raw-receivers` (N plain TCP listeners writing durable files as FsPieceStore does) and
 * `raw-sender` (copies the exiting node's piece bytes to them).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as perfConstants, performance, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fromHex } from '../src/core/bytes.js';
import { Identity } from '../src/crypto/identity.js';
import { getCryptoProvider } from '../src/crypto/select.js';
import type { ExitConfig } from '../src/exit/types.js';
import type { WorkerConfig } from '../src/exit/worker.js';
import { NodeDatabase } from '../src/node/db/database.js';
import { StorageNode } from '../src/node/storage-node.js';
import { FsPieceStore } from '../src/piecestore/fs-store.js';
import { Satellite } from '../src/satellite/satellite.js';
import { openSatelliteStore } from '../src/satellite/store.js';
import { tcpTransport } from '../src/transport/tcp.js';
import { systemClock } from '../src/core/clock.js';
import { ExitGatherer } from '../src/exit/gatherer.js';
import { PostgresExitQueueStore } from '../src/exit/store/postgres.js';
import { DEFAULT_EXIT_CONFIG } from '../src/exit/types.js';
import { PostgresMetabaseStore } from '../src/metainfo/metabase/postgres.js';
import { PostgresOverlayStore } from '../src/overlay/store/postgres.js';
import { createPool } from '../src/sql/postgres.js';
import { floorSatellite } from './exit-floor.js';
import { rawReceivers, rawSender, type Party } from './exit-raw.js';
import { scanSegments } from './lib.js';

const [role, optionsJson] = process.argv.slice(2) as [string, string];
const errors: string[] = [];
const onError = (error: unknown, where: string): void => {
  if (errors.length < 20) errors.push(`${where}: ${(error as Error)?.message ?? String(error)}`);
};
let mark = process.cpuUsage();
/** Garbage collections since the mark: scavenges (young generation) and the rest (mark-compact, incremental), with their pause time. */
const gc = { minor: 0, minorMs: 0, major: 0, majorMs: 0, kinds: {} as Record<string, number> };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const detail = (entry as PerformanceEntry & { detail?: { kind?: number; flags?: number } }).detail;
    if (detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) (gc.minor++, (gc.minorMs += entry.duration));
    else (gc.major++, (gc.majorMs += entry.duration));
    // kind/flags, e.g. "4/32": a mark-compact V8 started for external memory (ArrayBuffers).
    const key = `${detail?.kind ?? '?'}/${detail?.flags ?? '?'}`;
    gc.kinds[key] = (gc.kinds[key] ?? 0) + 1;
  }
}).observe({ entryTypes: ['gc'] });
const reply = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);


async function satellite(o: { dir: string; privateKey: string; exit: Partial<ExitConfig> }): Promise<Party> {
  const store = await openSatelliteStore({ kind: 'sqlite', dir: o.dir });
  const sat = await Satellite.start({
    transport: tcpTransport(),
    address: '127.0.0.1:0',
    identity: Identity.fromPrivateKey(fromHex(o.privateKey)),
    store,
    config: { exit: o.exit },
    onError,
  });
  // The seeded segments' other pieces exist only in the metabase: audits would find them missing
  // and disqualify every destination (a long run then stalls with no replacement left), and repair
  // would act on that. Neither is part of what this bench measures.
  await Promise.all([sat.chores.audit.stop(), sat.chores.repairChecker.stop(), sat.chores.repairer.stop()]);
  return {
    ready: { address: sat.address },
    async close() {
      await sat.close();
      await store.close();
    },
  };
}

async function nodes(o: { dir: string; privateKeys: string[]; satelliteId: string; satelliteAddress: string; fsync: boolean }): Promise<Party> {
  const started: StorageNode[] = [];
  const dbs: NodeDatabase[] = [];
  for (const [i, key] of o.privateKeys.entries()) {
    const dir = join(o.dir, `node-${i}`);
    await mkdir(dir, { recursive: true });
    const db = await NodeDatabase.open({ path: join(dir, 'node.db') });
    dbs.push(db);
    started.push(
      await StorageNode.start({
        transport: tcpTransport(),
        address: '127.0.0.1:0',
        identity: Identity.fromPrivateKey(fromHex(key)),
        satellites: [{ id: o.satelliteId, address: o.satelliteAddress }],
        storage: await FsPieceStore.open({ root: join(dir, 'pieces'), fsync: o.fsync }),
        db,
        wallet: `0x${i.toString(16).padStart(40, '0')}`,
        capacity: 2 ** 40,
        onError,
      }),
    );
  }
  return {
    ready: { addresses: started.map((n) => n.address) },
    async close() {
      for (const node of started) await node.close();
      for (const db of dbs) db.close();
    },
  };
}

async function exiting(o: { dir: string; piecesRoot: string; privateKey: string; satelliteId: string; satelliteIdHex: string; satelliteAddress: string; worker: Partial<WorkerConfig>; fsync: boolean }): Promise<Party> {
  await mkdir(o.dir, { recursive: true });
  const db = await NodeDatabase.open({ path: join(o.dir, 'node.db') });
  const pieces = await FsPieceStore.open({ root: o.piecesRoot, fsync: o.fsync });
  const node = await StorageNode.start({
    transport: tcpTransport(),
    address: '127.0.0.1:0',
    identity: Identity.fromPrivateKey(fromHex(o.privateKey)),
    satellites: [{ id: o.satelliteId, address: o.satelliteAddress }],
    storage: pieces,
    db,
    wallet: `0x${'e'.repeat(40)}`,
    capacity: 2 ** 40,
    exit: o.worker,
    onError,
  });
  const satelliteId = fromHex(o.satelliteIdHex);
  return {
    ready: { address: node.address, heldBytes: pieces.usedBytes(satelliteId) },
    async go() {
      const start = performance.now();
      await node.exitSatellite(satelliteId);
      const status = await node.exitFinished(satelliteId);
      const ms = performance.now() - start;
      return { ms, status: status && { state: status.state, piecesTransferred: status.piecesTransferred, bytesTransferred: status.bytesTransferred, piecesFailed: status.piecesFailed, piecesDeleted: status.piecesDeleted }, errors };
    },
    async close() {
      await node.close();
      db.close();
    },
  };
}

/**
 * Gathering for one exiting node over a PostgreSQL metabase (the exit already started), against
 * a bare scan of the same rows: the metabase's own iterate statement, the same batch size, the
 * same pool, rows as pg returns them and nothing else. Runs scan, gather, scan.
 */
async function gather(o: { url: string; nodeId: string; batchSize?: number; poolSize?: number }): Promise<Party> {
  const pool = createPool(o.url, o.poolSize ?? 10);
  const metabase = await PostgresMetabaseStore.open({ pool });
  const overlay = await PostgresOverlayStore.open({ pool });
  const exits = await PostgresExitQueueStore.open({ pool });
  const batchSize = o.batchSize ?? DEFAULT_EXIT_CONFIG.gatherBatchSize;
  const nodeId = fromHex(o.nodeId);
  const scan = () => scanSegments(pool, batchSize);
  const rss = (): number => process.resourceUsage().maxRSS;
  return {
    ready: { batchSize },
    async go() {
      const before = await scan();
      const rssAfterScan = rss();
      const cpu = process.cpuUsage();
      const gatherer = new ExitGatherer({ store: exits, metabase, overlay, clock: systemClock, batchSize, onError });
      const start = performance.now();
      await gatherer.kick();
      const gatherMs = performance.now() - start;
      const gatherCpu = process.cpuUsage(cpu);
      const rssAfterGather = rss();
      const after = await scan();
      const exit = await exits.getExit(nodeId);
      return {
        scans: [before, after],
        gatherMs,
        gatherCpuMs: (gatherCpu.user + gatherCpu.system) / 1000,
        rssAfterScanKiB: rssAfterScan,
        rssAfterGatherKiB: rssAfterGather,
        exit: exit && { gathered: exit.gatheredAt !== null, piecesQueued: exit.piecesQueued, startingBytes: exit.startingBytes },
        errors,
      };
    },
    async close() {
      await exits.close();
      await overlay.close();
      await metabase.close();
      await pool.end();
    },
  };
}

const roles: Record<string, (options: never) => Promise<Party>> = {
  satellite,
  nodes,
  exiting,
  'raw-receivers': (o: Parameters<typeof rawReceivers>[0]) => rawReceivers(o, onError),
  'raw-sender': rawSender,
  'floor-satellite': floorSatellite,
  gather,
};
const start = roles[role];
if (!start) throw new Error(`unknown role ${role}`);
void getCryptoProvider(); // load the provider before the mark
const party = await start(JSON.parse(optionsJson) as never);
reply(party.ready);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'mark') {
    mark = process.cpuUsage();
    Object.assign(gc, { minor: 0, minorMs: 0, major: 0, majorMs: 0, kinds: {} });
    reply({});
  } else if (line === 'stats') {
    const used = process.cpuUsage(mark);
    reply({ cpuMs: (used.user + used.system) / 1000, systemMs: used.system / 1000, gc: { ...gc, kinds: { ...gc.kinds } }, heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20), maxRssKiB: process.resourceUsage().maxRSS, errors });
  } else if (line === 'go') {
    reply(await party.go!());
  } else if (line === 'exit') break;
}
await party.close();
process.exit(0);
