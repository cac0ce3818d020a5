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
import net from 'node:net';
import { mkdir, open, readdir, rename, type FileHandle } from 'node:fs/promises';
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

interface Party {
  ready: unknown;
  go?: () => Promise<unknown>;
  close(): Promise<void>;
}

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

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const HEADER = 4 + 32;

/** Writes every byte of `parts` with as few writev calls as the kernel allows. */
async function writeParts(handle: FileHandle, parts: Buffer[]): Promise<void> {
  let rest = parts;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0]!.length) bytesWritten -= rest.shift()!.length;
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}

/**
 * Listeners that take frames `u32be length ‖ 32-byte piece id ‖ bytes`, write each piece as
 * FsPieceStore does (temp file, fsync, rename into a fan-out directory, directory fsync; a new
 * directory's parent synced once) and answer one byte when it is durable. The bytes go to the
 * file as the socket delivered them (one writev of its chunks), never copied.
 */
async function rawReceivers(o: { dir: string; count: number; fsync: boolean }): Promise<Party> {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const ports: number[] = [];
  for (let i = 0; i < o.count; i++) {
    const root = join(o.dir, `raw-${i}`);
    const tmp = join(root, 'tmp');
    const pieces = join(root, 'pieces');
    await mkdir(tmp, { recursive: true });
    await mkdir(pieces, { recursive: true });
    const dirs = new Set<string>();
    let serial = 0;
    const store = async (id: string, parts: Buffer[]): Promise<void> => {
      const tmpPath = join(tmp, `${serial++}-${id.slice(0, 8)}.part`);
      const handle = await open(tmpPath, 'wx');
      try {
        await writeParts(handle, parts);
        if (o.fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      const dir = join(pieces, id.slice(0, 2));
      if (!dirs.has(dir)) {
        if ((await mkdir(dir, { recursive: true })) !== undefined && o.fsync) await syncDir(pieces);
        dirs.add(dir);
      }
      await rename(tmpPath, join(dir, id));
      if (o.fsync) await syncDir(dir);
    };
    const server = net.createServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // The socket's chunks are kept as they came and written with one writev: no copy of a piece.
      const chunks: Buffer[] = [];
      let buffered = 0;
      let need = -1;
      let id = '';
      /** The next `n` buffered bytes, as slices of the socket's chunks. */
      const take = (n: number): Buffer[] => {
        const parts: Buffer[] = [];
        while (n > 0) {
          const chunk = chunks[0]!;
          if (chunk.length <= n) {
            parts.push(chunks.shift()!);
            n -= chunk.length;
          } else {
            parts.push(chunk.subarray(0, n));
            chunks[0] = chunk.subarray(n);
            n = 0;
          }
        }
        return parts;
      };
      let busy = false;
      const pump = async (): Promise<void> => {
        if (busy) return;
        busy = true;
        try {
          for (;;) {
            if (need < 0) {
              if (buffered < HEADER) return;
              const head = Buffer.concat(take(HEADER)); // 36 bytes
              buffered -= HEADER;
              need = head.readUInt32BE(0);
              id = head.subarray(4, HEADER).toString('hex');
            }
            if (buffered < need) return;
            const parts = take(need);
            buffered -= need;
            need = -1;
            await store(id, parts);
            socket.write(ACK);
          }
        } finally {
          busy = false;
        }
      };
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        buffered += chunk.length;
        void pump().catch((err: unknown) => {
          onError(err, 'raw receiver');
          socket.destroy();
        });
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push((server.address() as net.AddressInfo).port);
  }
  return {
    ready: { ports },
    async close() {
      for (const socket of sockets) socket.destroy();
      for (const server of servers) await new Promise((resolve) => server.close(resolve));
    },
  };
}
const ACK = Buffer.from([1]);

/** One socket per (worker, receiver): a request at a time, answered by one byte. */
class RawConnection {
  readonly #socket: net.Socket;
  #waiting: (() => void) | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) {
        const done = this.#waiting;
        this.#waiting = undefined;
        done?.();
      }
    });
  }

  static connect(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(frame: Uint8Array): Promise<void> {
    const acked = new Promise<void>((resolve) => (this.#waiting = resolve));
    this.#socket.write(frame);
    return acked;
  }

  close(): void {
    this.#socket.destroy();
  }
}

/**
 * Copies every piece the exiting node holds for `satelliteId` (its data bytes, read from the
 * piece files) to the receivers, piece i to receiver i mod N, `concurrency` at a time.
 */
async function rawSender(o: { piecesRoot: string; satelliteId: string; ports: number[]; concurrency: number; pieceSize: number }): Promise<Party> {
  const satDir = join(o.piecesRoot, o.satelliteId);
  const files: string[] = [];
  for (const fan of (await readdir(satDir)).sort()) for (const name of await readdir(join(satDir, fan))) files.push(join(fan, name));
  return {
    ready: { pieces: files.length },
    async go() {
      let next = 0;
      let bytes = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: o.concurrency }, async () => {
          const connections = new Map<number, RawConnection>();
          try {
            for (;;) {
              const i = next++;
              if (i >= files.length) return;
              const name = files[i]!;
              const frame = new Uint8Array(Buffer.allocUnsafeSlow(HEADER + o.pieceSize).buffer, 0, HEADER + o.pieceSize); // every byte is set below
              const view = new DataView(frame.buffer);
              view.setUint32(0, o.pieceSize);
              frame.set(fromHex(name.slice(name.indexOf('/') + 1)), 4);
              let handle: FileHandle | undefined;
              try {
                handle = await open(join(satDir, name), 'r');
                for (let at = 0; at < o.pieceSize; ) {
                  const { bytesRead } = await handle.read(frame, HEADER + at, o.pieceSize - at, at);
                  if (bytesRead === 0) throw new Error(`${name} is short`);
                  at += bytesRead;
                }
              } finally {
                await handle?.close();
              }
              const port = o.ports[i % o.ports.length]!;
              let connection = connections.get(port);
              if (connection === undefined) {
                connection = await RawConnection.connect(port);
                connections.set(port, connection);
              }
              await connection.send(frame);
              bytes += o.pieceSize;
            }
          } finally {
            for (const c of connections.values()) c.close();
          }
        }),
      );
      return { ms: performance.now() - start, bytes, pieces: files.length };
    },
    async close() {},
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

const roles: Record<string, (options: never) => Promise<Party>> = { satellite, nodes, exiting, 'raw-receivers': rawReceivers, 'raw-sender': rawSender, gather };
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
