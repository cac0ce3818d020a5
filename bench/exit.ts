/**
 * Graceful exit (issue 11, "Performance"), two measurements, each against a baseline in the same run:
 *
 * 1. Exit throughput: a node holding 4,000 pieces of 256 KiB exits to 20 nodes over TCP, every
 *    piece store a FsPieceStore with fsync on (its production default), the satellite on SQLite.
 *    The metabase and the exiting node's piece store are seeded directly — but with what an
 *    upload leaves behind: order limits signed by the satellite's identity, piece hashes signed
 *    with each segment's piece key, pieces under the ids derived for the node — so the exit runs
 *    the real protocol end to end (gathering, replacement selection, signed PUT_GRACEFUL_EXIT
 *    limits, uploads, proof checks, compare-and-swap, deletes, receipt). Redundancy 2/3/4/4 with
 *    every segment at exactly its success threshold: every piece must transfer, none is dropped.
 *    Baseline: a raw copy of the same pieces' bytes (read from the same piece files) over plain
 *    TCP to 20 listeners on the destinations' side that write each piece as FsPieceStore does
 *    (temp file, fsync, rename, directory fsync) and acknowledge it, at the exit worker's
 *    concurrency. Beside it, the protocol floor (bench/exit-floor.ts): the same raw copy with the
 *    per-piece cryptography and the satellite window the exit requires, and nothing else — an
 *    upper bound, in its run, on what any implementation of the protocol reaches. Satellite, exiting node,
 *    destination nodes, raw sender and raw receivers (and the floor's satellite) each run in a
 *    process of their own (bench/exit-party.ts, bench/exit-raw.ts), so CPU and peak memory are
 *    per party.
 * 2. Gathering over PostgreSQL (HANDOFF_PG_URL): 1,000,000 segments × 30 pieces bulk-loaded into
 *    a scratch database; the ExitGatherer pass for a node holding a piece of 1 segment in 20,
 *    against a bare scan of the same rows through the same statement, batches and pool.
 *
 *   npm run bench exit          HANDOFF_BENCH_EXIT_SEGMENTS=100000 npm run bench exit (a smaller gather)
 *   HANDOFF_BENCH_EXIT_ONLY=throughput|gather npm run bench exit   (one half; the other keeps its rows and notes from results.md)
 *   HANDOFF_BENCH_EXIT_SOURCE_DIR=<folder on another filesystem> (the exiting node's pieces; default /dev/shm, see sourceRoot)
 *   HANDOFF_BENCH_EXIT_NODE_FLAGS="--perf-basic-prof-only-functions" (node flags for every party: name the JavaScript in `perf record -a -g`)
 *   HANDOFF_BENCH_EXIT_CONCURRENCY / _WINDOW / _RAW_RUNS (other settings; the raw copy and the floor run at the worker's concurrency, twice each by default)
 */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { toHex, utf8 } from '../src/core/bytes.js';
import { Identity } from '../src/crypto/identity.js';
import { getCryptoProvider } from '../src/crypto/select.js';
import { DEFAULT_EXIT_CONFIG } from '../src/exit/types.js';
import { DEFAULT_WORKER_CONFIG } from '../src/exit/worker.js';
import type { RedundancyScheme } from '../src/metainfo/metabase/types.js';
import { pieceSizeFor } from '../src/metainfo/redundancy.js';
import { signOrderLimit } from '../src/orders/order-limit.js';
import { signPieceHash } from '../src/orders/piece-hash.js';
import { derivePieceId } from '../src/orders/piece-id.js';
import { generatePieceKey, pieceSigner } from '../src/orders/piece-key.js';
import { createPieceHasher } from '../src/piecestore/hasher.js';
import { FsPieceStore } from '../src/piecestore/fs-store.js';
import { openSatelliteStore } from '../src/satellite/store.js';
import { createScratchDatabase } from '../src/sql/postgres.js';
import { exitSectionOf, keptHalf } from './exit-results.js';
import { fmt, mbps, serverVersion, type BenchRow, type BenchSection } from './lib.js';

const KIB = 1024;
const PIECE = 256 * KIB;
const PIECES = 4_000;
const DESTINATIONS = 20;
/** Every segment has exactly `success` pieces: without the exiting node's it is below, so every piece transfers. */
const REDUNDANCY: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 4 };
const SEGMENT_BYTES = 2 * PIECE;
/** fsync on, as FsPieceStore's default. */
const FSYNC = true;
/** The satellite answers NotReady with this wait (default 30 s) so the run is not mostly waiting for the retry. */
const NOT_READY_RETRY_MS = 100;

interface Stats {
  readonly cpuMs: number;
  /** The kernel's part of `cpuMs` (system calls: file and socket work). */
  readonly systemMs: number;
  /** Garbage collections since the mark, with their pause time. */
  readonly gc: { readonly minor: number; readonly minorMs: number; readonly major: number; readonly majorMs: number; readonly kinds: Readonly<Record<string, number>> };
  /** The JavaScript heap in use when the stats were read. */
  readonly heapUsedMiB: number;
  readonly maxRssKiB: number;
  readonly errors: string[];
}

/** A bench/exit-party.ts child: one JSON line per command. */
class Party {
  private constructor(
    readonly role: string,
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    private readonly stderr: () => string,
    readonly ready: Record<string, unknown>,
  ) {}

  static async start(role: string, options: unknown): Promise<Party> {
    const script = fileURLToPath(new URL('./exit-party.ts', import.meta.url));
    // HANDOFF_BENCH_EXIT_PROF=<dir>: every party writes a CPU profile there (node --cpu-prof).
    const prof = process.env.HANDOFF_BENCH_EXIT_PROF;
    const flags = prof ? ['--cpu-prof', '--cpu-prof-dir', join(prof, role)] : [];
    // HANDOFF_BENCH_EXIT_NODE_FLAGS="--flag ...": extra node/V8 flags for every party (to try a runtime setting).
    flags.push(...(process.env.HANDOFF_BENCH_EXIT_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? []));
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, role, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`bench party ${role} failed to start: ${stderr}`);
    return new Party(role, child, lines, () => stderr, JSON.parse(first.value) as Record<string, unknown>);
  }

  async command<T>(line: string): Promise<T> {
    this.child.stdin.write(`${line}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error(`bench party ${this.role} died: ${this.stderr()}`);
    return JSON.parse(next.value) as T;
  }

  stats(): Promise<Stats> {
    return this.command<Stats>('stats');
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.write('exit\n');
    await exited;
  }
}

const log = (message: string): void => void process.stderr.write(`  exit bench: ${message}\n`);
const random = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);
const syncDisks = (): void => void execFileSync('sync');

interface Seeded {
  readonly satellite: Identity;
  readonly exiting: Identity;
  readonly destinations: Identity[];
  readonly satelliteDir: string;
  readonly exitingDir: string;
  /** The exiting node's piece store, on a filesystem of its own where one is at hand (see {@link sourceRoot}). */
  readonly piecesRoot: string;
}

/**
 * Where the exiting node's pieces live: HANDOFF_BENCH_EXIT_SOURCE_DIR, else a folder in /dev/shm,
 * else beside everything else. The exiting node and its destinations are different machines, so
 * their disks must not interact here either: on an ext4 filesystem without a journal (this
 * machine's root), creating a file scans past every inode of its block group deleted in the last
 * 1–6 minutes (ext4's `recently_deleted`), and with one filesystem for all parties the exiting node's
 * deletes made every destination's file creation pay for them — 15 % of the destinations' CPU in a
 * perf profile, a cost the raw copy (which deletes nothing) never paid. The raw sender reads the
 * same files, so both runs read from the same place.
 */
async function sourceRoot(dir: string): Promise<{ root: string; where: string; remove(): Promise<void> }> {
  const chosen = process.env.HANDOFF_BENCH_EXIT_SOURCE_DIR;
  const parent = chosen ?? (existsSync('/dev/shm') ? '/dev/shm' : undefined);
  if (parent === undefined) return { root: join(dir, 'exiting', 'pieces'), where: 'beside the destinations (no /dev/shm)', remove: async () => undefined };
  const root = await mkdtemp(join(parent, 'handoff-bench-exit-source-'));
  return { root, where: chosen !== undefined ? `in ${parent} (HANDOFF_BENCH_EXIT_SOURCE_DIR)` : 'in /dev/shm (tmpfs)', remove: () => rm(root, { recursive: true, force: true }) };
}

/**
 * What uploads would have left: one object of PIECES segments in the satellite's SQLite metabase
 * (committed through the store's own calls), each segment with the exiting node's piece and three
 * pieces on destination nodes; and in the exiting node's FsPieceStore each of its pieces with the
 * satellite-signed PUT limit it came under and the uplink's hash signed by the segment's piece key.
 */
async function seed(dir: string, piecesRoot: string): Promise<Seeded> {
  const satellite = Identity.generate();
  const exiting = Identity.generate();
  const destinations = Array.from({ length: DESTINATIONS }, () => Identity.generate());
  const satelliteDir = join(dir, 'satellite');
  const exitingDir = join(dir, 'exiting');
  if (pieceSizeFor(SEGMENT_BYTES, REDUNDANCY) !== PIECE) throw new Error('segment size and redundancy do not give 256 KiB pieces');

  const store = await openSatelliteStore({ kind: 'sqlite', dir: satelliteDir });
  const pieces = await FsPieceStore.open({ root: piecesRoot, fsync: false }); // synced once at the end
  try {
    const now = Date.now();
    const { projectId } = await store.projects.createProject('bench', now);
    const bucket = 'exit';
    const objectKey = utf8('exiting/pieces');
    const streamId = random(16);
    const location = { projectId, bucket, objectKey };
    await store.metabase.createBucket({ projectId, name: bucket, createdAt: now });
    await store.metabase.beginObject({ ...location, streamId, createdAt: now, uploadDeadline: now + 24 * 3_600_000, redundancy: REDUNDANCY, encryption: { cipherSuite: 'handoff-enc/v1', blockSize: 65_520 } });
    const writes: Promise<void>[] = [];
    for (let index = 0; index < PIECES; index++) {
      const rootPieceId = random(32);
      const mine = index % REDUNDANCY.total;
      const others = [0, 1, 2].map((j) => destinations[(index + j * 7) % DESTINATIONS]!);
      const segmentPieces = [];
      for (let number = 0, o = 0; number < REDUNDANCY.total; number++) {
        segmentPieces.push({ number, nodeId: number === mine ? exiting.publicKey : others[o++]!.publicKey });
      }
      await store.metabase.commitSegment({
        ...location, streamId, position: { part: 0, index }, createdAt: now, rootPieceId,
        encryptedKey: random(48), encryptedKeyNonce: random(24), encryptedSize: SEGMENT_BYTES, plainSize: SEGMENT_BYTES - 512,
        redundancy: REDUNDANCY, pieces: segmentPieces,
      });
      const pieceId = derivePieceId(rootPieceId, exiting.publicKey, mine);
      const pieceKey = generatePieceKey();
      const orderLimit = signOrderLimit(satellite, {
        serialNumber: random(16), satelliteId: satellite.publicKey, storageNodeId: exiting.publicKey, pieceId, action: 'PUT',
        limitBytes: PIECE, orderExpiration: now + 3_600_000, piecePublicKey: pieceKey.publicKey, createdAt: now,
      });
      const data = random(PIECE);
      const hasher = createPieceHasher();
      hasher.update(data);
      const uplinkPieceHash = signPieceHash(pieceSigner(pieceKey.privateKey), { pieceId, hash: hasher.digest(), pieceSize: PIECE, timestamp: now });
      writes.push(
        (async () => {
          const writer = await pieces.create(satellite.publicKey, pieceId);
          await writer.write(data);
          await writer.commit({ orderLimit, uplinkPieceHash, storedAt: now });
        })(),
      );
      if (writes.length >= 16) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    await store.metabase.commitObject({ ...location, streamId, committedAt: now, now, maxSegments: PIECES });
  } finally {
    await store.close();
  }
  syncDisks();
  return { satellite, exiting, destinations, satelliteDir, exitingDir, piecesRoot };
}

interface RawRun {
  readonly ms: number;
  readonly sender: Stats;
  readonly receivers: Stats;
  /** The floor's satellite (a floor run only). */
  readonly satellite?: Stats | undefined;
}

/**
 * The raw copy; with `floor`, the protocol floor: the same copy with the cryptography and the
 * satellite round trip the exit protocol requires of each party (bench/exit-floor.ts).
 */
async function rawCopy(seeded: Seeded, dir: string, concurrency: number, floor?: { window: number }): Promise<RawRun> {
  const parties: Party[] = [];
  const satelliteKey = toHex(seeded.satellite.exportPrivateKey());
  const receiverKeys = seeded.destinations.map((d) => toHex(d.publicKey));
  try {
    const satellite = floor ? await Party.start('floor-satellite', { privateKey: satelliteKey, receiverPublicKeys: receiverKeys, pieces: PIECES, window: floor.window }) : undefined;
    if (satellite) parties.push(satellite);
    const receivers = await Party.start('raw-receivers', {
      dir, count: DESTINATIONS, fsync: FSYNC,
      floor: floor ? { satellitePublicKey: toHex(seeded.satellite.publicKey), privateKeys: seeded.destinations.map((d) => toHex(d.exportPrivateKey())) } : undefined,
    });
    parties.push(receivers);
    const sender = await Party.start('raw-sender', {
      piecesRoot: seeded.piecesRoot, satelliteId: toHex(seeded.satellite.publicKey), ports: receivers.ready.ports, concurrency, pieceSize: PIECE,
      floor: satellite ? { satellitePort: satellite.ready.port, satellitePrivateKey: satelliteKey, receiverPublicKeys: receiverKeys } : undefined,
    });
    parties.push(sender);
    if (sender.ready.pieces !== PIECES) throw new Error(`raw sender found ${String(sender.ready.pieces)} pieces, expected ${PIECES}`);
    await Promise.all(parties.map((p) => p.command('mark')));
    const { ms, bytes } = await sender.command<{ ms: number; bytes: number }>('go');
    if (bytes !== PIECES * PIECE) throw new Error(`raw copy moved ${bytes} bytes`);
    const receiverStats = await receivers.stats();
    if (receiverStats.errors.length > 0) throw new Error(`raw receivers failed: ${receiverStats.errors.join('; ')}`);
    return { ms, sender: await sender.stats(), receivers: receiverStats, satellite: await satellite?.stats() };
  } finally {
    for (const party of parties.reverse()) await party.stop();
    // Its files stay until the bench ends: deleting them here would tax the next run's file creations (see sourceRoot).
    syncDisks();
  }
}

interface ExitRun {
  readonly ms: number;
  readonly satellite: Stats;
  readonly exiting: Stats;
  readonly destinations: Stats;
}

async function exitOverTcp(seeded: Seeded, dir: string, worker: { concurrency: number }, exit: { transferWindow: number }): Promise<ExitRun> {
  const parties: Party[] = [];
  try {
    const satellite = await Party.start('satellite', { dir: seeded.satelliteDir, privateKey: toHex(seeded.satellite.exportPrivateKey()), exit: { notReadyRetryMs: NOT_READY_RETRY_MS, ...exit } });
    parties.push(satellite);
    const satelliteAddress = satellite.ready.address as string;
    const satelliteId = seeded.satellite.id.toString();
    const destinations = await Party.start('nodes', { dir, privateKeys: seeded.destinations.map((d) => toHex(d.exportPrivateKey())), satelliteId, satelliteAddress, fsync: FSYNC });
    parties.push(destinations);
    const exiting = await Party.start('exiting', { dir: seeded.exitingDir, piecesRoot: seeded.piecesRoot, privateKey: toHex(seeded.exiting.exportPrivateKey()), satelliteId, satelliteIdHex: toHex(seeded.satellite.publicKey), satelliteAddress, worker, fsync: FSYNC });
    parties.push(exiting);
    if (exiting.ready.heldBytes !== PIECES * PIECE) throw new Error(`the exiting node holds ${String(exiting.ready.heldBytes)} bytes`);
    await Promise.all(parties.map((p) => p.command('mark')));
    const result = await exiting.command<{ ms: number; status?: { state: string; piecesTransferred: number; piecesFailed: number }; errors: string[] }>('go');
    if (result.status?.state !== 'completed' || result.status.piecesTransferred !== PIECES) {
      throw new Error(`the exit did not transfer every piece: ${JSON.stringify(result)}; satellite: ${JSON.stringify((await satellite.stats()).errors)}`);
    }
    return { ms: result.ms, satellite: await satellite.stats(), exiting: await exiting.stats(), destinations: await destinations.stats() };
  } finally {
    for (const party of parties.reverse()) await party.stop();
  }
}

const cpuPerPiece = (ms: number): string => `${fmt((ms * 1000) / PIECES)} µs`;
/** CPU per piece with its kernel part: `1,234 µs (sys 567)`. */
const cpuSplit = (s: Stats): string => `${cpuPerPiece(s.cpuMs)} (sys ${fmt((s.systemMs * 1000) / PIECES)})`;
const rss = (s: Stats): string => `${fmt(s.maxRssKiB / KIB)} MiB`;

async function benchThroughput(rows: BenchRow[], notes: string[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'handoff-bench-exit-'));
  const source = await sourceRoot(dir);
  try {
    let at = performance.now();
    const seeded = await seed(dir, source.root);
    log(`seeded ${PIECES} pieces in ${fmt((performance.now() - at) / 1000, 1)} s`);
    // HANDOFF_BENCH_EXIT_CONCURRENCY / _WINDOW try other settings; the raw copy always runs at the worker's concurrency.
    const concurrency = Number(process.env.HANDOFF_BENCH_EXIT_CONCURRENCY ?? DEFAULT_WORKER_CONFIG.concurrency);
    const transferWindow = Number(process.env.HANDOFF_BENCH_EXIT_WINDOW ?? DEFAULT_EXIT_CONFIG.transferWindow);
    // Two raw copies (the exit deletes the source pieces, so it goes last); the faster one counts.
    const rawRuns = Number(process.env.HANDOFF_BENCH_EXIT_RAW_RUNS ?? 2);
    const raws: RawRun[] = [];
    for (let i = 0; i < rawRuns; i++) raws.push(await rawCopy(seeded, join(dir, `raw-${i}`), concurrency));
    log(`raw copies ${raws.map((r) => fmt(r.ms)).join(' / ')} ms`);
    const floors: RawRun[] = [];
    for (let i = 0; i < rawRuns; i++) floors.push(await rawCopy(seeded, join(dir, `floor-${i}`), concurrency, { window: transferWindow }));
    log(`protocol floors ${floors.map((r) => fmt(r.ms)).join(' / ')} ms`);
    at = performance.now();
    const fastest = (runs: RawRun[]): RawRun => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
    const raw = fastest(raws);
    const floor = fastest(floors);
    const run = await exitOverTcp(seeded, join(dir, 'nodes'), { concurrency }, { transferWindow });
    log(`exit ${fmt(run.ms)} ms (with process start-up ${fmt(performance.now() - at)} ms)`);
    const gcOf = (s: Stats): string => `${s.gc.minor} minor ${fmt(s.gc.minorMs)} ms + ${s.gc.major} major ${fmt(s.gc.majorMs)} ms, heap ${s.heapUsedMiB} MiB (kind/flags ${JSON.stringify(s.gc.kinds)})`;
    log(`GC: satellite ${gcOf(run.satellite)}; exiting ${gcOf(run.exiting)}; destinations ${gcOf(run.destinations)}; raw sender ${gcOf(raw.sender)}; raw receivers ${gcOf(raw.receivers)}`);
    const bytes = PIECES * PIECE;
    const exitRate = mbps(bytes, run.ms);
    const rawRate = mbps(bytes, raw.ms);
    const floorRate = mbps(bytes, floor.ms);
    const floorCpuMs = floor.satellite!.cpuMs + floor.sender.cpuMs + floor.receivers.cpuMs;
    const exitCpuMs = run.satellite.cpuMs + run.exiting.cpuMs + run.destinations.cpuMs;
    rows.push(
      {
        name: `graceful exit of ${fmt(PIECES)} × 256 KiB to ${DESTINATIONS} nodes over TCP (fs stores, fsync on; worker concurrency ${concurrency}, satellite window ${transferWindow})`,
        value: `${fmt(exitRate)} MB/s (${fmt(run.ms / 1000, 1)} s, ${fmt((PIECES * 1000) / run.ms)} pieces/s)`,
        baseline: `raw TCP copy + durable writes, same concurrency: ${fmt(rawRate)} MB/s (${fmt(raw.ms / 1000, 1)} s; runs ${raws.map((r) => fmt(r.ms / 1000, 1)).join(' / ')} s)`,
        ratio: exitRate / rawRate,
        goal: '≥ 0.7',
      },
      {
        name: 'protocol floor: the raw copy with the cryptography and the satellite round trip the exit requires per piece, nothing else (bench/exit-floor.ts)',
        value: `${fmt(floorRate)} MB/s (${fmt(floor.ms / 1000, 1)} s; runs ${floors.map((r) => fmt(r.ms / 1000, 1)).join(' / ')} s)`,
        baseline: `raw copy ${fmt(rawRate)} MB/s`,
        ratio: floorRate / rawRate,
        goal: '',
      },
      {
        name: 'graceful exit against the protocol floor',
        value: `${fmt(exitRate)} MB/s`,
        baseline: `protocol floor ${fmt(floorRate)} MB/s`,
        ratio: exitRate / floorRate,
        goal: '',
      },
      {
        name: 'CPU per transferred piece (of it in the kernel): satellite / exiting node / destination nodes (all 20)',
        value: `${cpuSplit(run.satellite)} / ${cpuSplit(run.exiting)} / ${cpuSplit(run.destinations)} (total ${fmt(exitCpuMs / 1000, 1)} s)`,
        baseline: `raw sender / receivers ${cpuSplit(raw.sender)} / ${cpuSplit(raw.receivers)} (total ${fmt((raw.sender.cpuMs + raw.receivers.cpuMs) / 1000, 1)} s)`,
        ratio: (raw.sender.cpuMs + raw.receivers.cpuMs) / exitCpuMs,
        goal: '',
      },
      {
        name: 'CPU per piece of the protocol floor: satellite / sender / receivers',
        value: `${cpuSplit(floor.satellite!)} / ${cpuSplit(floor.sender)} / ${cpuSplit(floor.receivers)} (total ${fmt(floorCpuMs / 1000, 1)} s)`,
        baseline: `the exit's ${fmt(exitCpuMs / 1000, 1)} s`,
        ratio: floorCpuMs / exitCpuMs,
        goal: '',
      },
      {
        name: 'peak memory (RSS): satellite / exiting node / destination nodes (one process)',
        value: `${rss(run.satellite)} / ${rss(run.exiting)} / ${rss(run.destinations)}`,
        baseline: `raw sender / receivers ${rss(raw.sender)} / ${rss(raw.receivers)}`,
        ratio: (raw.sender.maxRssKiB + raw.receivers.maxRssKiB) / (run.satellite.maxRssKiB + run.exiting.maxRssKiB + run.destinations.maxRssKiB),
        goal: '',
      },
    );
    notes.push(
      `Exit: each party in its own process (satellite on SQLite, WAL, synchronous=NORMAL; ${DESTINATIONS} destination StorageNodes in one process, each with its own FsPieceStore and node database; the exiting StorageNode). ` +
        `Time from \`exitSatellite\` to \`exitFinished\` (receipt stored), including gathering and one NotReady wait (the satellite's notReadyRetryMs set to ${NOT_READY_RETRY_MS} ms for the bench; default 30 s). ` +
        'The exit does what the baseline does not: reads and re-hashes each piece and checks its signatures before sending, order limits and signed orders, the receiver\'s SHA-256, serial and order rows, signed receipts, the satellite\'s proof checks, segment compare-and-swap, queue rows, and the deletes of the original pieces. ' +
        'Raw baseline: the same piece files read, one frame per piece (header and bytes in one write), each written by the receiver to a temp file, fsynced, renamed into a fan-out directory, directory fsynced, then acknowledged; piece i to receiver i mod 20; ' +
        (raws.length === 1 ? 'one run.' : `best of ${raws.length} runs.`) +
        ` The exiting node's pieces (the raw sender's source too) lie ${source.where}, apart from the destinations' files, as they would on separate machines; no run deletes files right before another starts (ext4 without a journal makes a new file scan past recently deleted inodes: bench/exit.ts, sourceRoot).`,
      `Protocol floor (bench/exit-floor.ts): the raw copy with, per piece, the cryptography the protocol requires of each party and nothing else — the satellite verifies the report's three signatures, makes a piece key and signs a limit; the sender hashes the piece, verifies its stored hash, signs an order and a piece hash, verifies the receiver's; the receiver verifies three signatures, hashes the bytes and signs a receipt — with the satellite's sliding window (${transferWindow} assignments ahead, one more per verified report) over one TCP connection. Fixed-size messages of about the real ones' size, no codec, no RPC layer, no store: it leaves out the persisted state the protocol requires before every message and the deletes of the original pieces, so no exit can be faster. ` +
        `Its ratio to the raw copy, ${fmt(floorRate / rawRate, 2)}, is an upper bound on what any implementation of this protocol reaches in this run, at this concurrency; the exit's goal of 0.7 lies ${floorRate / rawRate < 0.7 ? 'above' : 'below'} it.`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
    await source.remove();
  }
}

/** sha256(int4 big-endian n): node n's id, in SQL `sha256(int4send(n))`. */
function nodeIdOf(n: number): Uint8Array {
  const be = Buffer.alloc(4);
  be.writeInt32BE(n);
  return new Uint8Array(createHash('sha256').update(be).digest());
}

const GATHER_NODES = 600;
const PIECES_PER_SEGMENT = 30;
const SEGMENTS_PER_OBJECT = 100;
const EXITING_NODE = 7;
const GATHER_REDUNDANCY = { shareSize: 256, required: 10, repair: 15, success: 25, total: 30 };

/**
 * Loads `segments` segments (in objects of 100) of 30 pieces each. Segment g's pieces are on
 * nodes (g + 20 j) mod 600 for j = 0..29, so each node holds a piece of exactly 1 segment in 20;
 * 600 distinct piece lists built once and joined in. Rows go in with INSERT … SELECT over
 * generate_series with the foreign-key triggers off; the root-piece-id index is rebuilt after the
 * load; VACUUM sets hint bits so no scan pays for them.
 */
export async function loadMetabase(url: string, segments: number): Promise<void> {
  const store = await openSatelliteStore({ kind: 'postgres', connectionString: url }); // runs the migrations
  const now = Date.now();
  try {
    const { projectId } = await store.projects.createProject('bench', now);
    await store.metabase.createBucket({ projectId, name: 'gather', createdAt: now });
    for (let n = 0; n < GATHER_NODES; n++) {
      await store.overlay.checkIn({ id: nodeIdOf(n), address: `10.0.${n >> 8}.${n & 255}:28967`, wallet: '0x0', freeBytes: 2 ** 40, version: '0.1.0', at: now });
    }
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const objects = Math.ceil(segments / SEGMENTS_PER_OBJECT);
      const r = GATHER_REDUNDANCY;
      let at = performance.now();
      const phase = (name: string): void => {
        log(`load: ${name} ${fmt((performance.now() - at) / 1000, 1)} s`);
        at = performance.now();
      };
      // Rows are consistent by construction: skip the per-row foreign-key triggers for this load.
      await pool.query("SET session_replication_role = 'replica'");
      await pool.query('DROP INDEX metabase_segments_root_piece_id');
      await pool.query(
        `INSERT INTO metabase_objects (stream_id, project_id, bucket_name, object_key, version, status, created_at, committed_at, segment_count,
           total_plain_size, total_encrypted_size, rs_share_size, rs_required, rs_repair, rs_success, rs_total, cipher_suite, block_size)
         SELECT decode(lpad(to_hex(s), 32, '0'), 'hex'), $1, $2, sha256(int8send(s)), 1, 'committed', $3, $3, $4,
           $4::bigint * 67092480, $4::bigint * 67108864, ${r.shareSize}, ${r.required}, ${r.repair}, ${r.success}, ${r.total}, 'handoff-enc/v1', 65520
         FROM generate_series(0, $5::bigint - 1) AS s`,
        [projectId, utf8('gather'), now, SEGMENTS_PER_OBJECT, objects],
      );
      await pool.query(`CREATE TEMP TABLE bench_pieces AS
        SELECT o, string_agg(int2send(j::int2) || sha256(int4send(((o + 20 * j) % ${GATHER_NODES})::int4)), ''::bytea ORDER BY j) AS blob
        FROM generate_series(0, ${GATHER_NODES - 1}) AS o, generate_series(0, ${PIECES_PER_SEGMENT - 1}) AS j GROUP BY o`);
      await pool.query(
        `INSERT INTO metabase_segments (stream_id, position, created_at, expires_at, root_piece_id, encrypted_key, encrypted_key_nonce,
           encrypted_size, plain_size, plain_offset, rs_share_size, rs_required, rs_repair, rs_success, rs_total, pieces, inline_data)
         SELECT decode(lpad(to_hex(g / ${SEGMENTS_PER_OBJECT}), 32, '0'), 'hex'), g % ${SEGMENTS_PER_OBJECT}, $1, NULL, sha256(int8send(g)),
           $2::bytea, $3::bytea, 67108864, 67092480, (g % ${SEGMENTS_PER_OBJECT}) * 67092480,
           ${r.shareSize}, ${r.required}, ${r.repair}, ${r.success}, ${r.total}, p.blob, NULL
         FROM generate_series(0, $4::bigint - 1) AS g JOIN bench_pieces AS p ON p.o = g % ${GATHER_NODES}`,
        [now, random(48), random(24), segments],
      );
      phase('objects and segments');
      await pool.query("SET session_replication_role = 'origin'");
      await pool.query('CREATE INDEX metabase_segments_root_piece_id ON metabase_segments (root_piece_id)');
      phase('root piece id index');
      await pool.query('VACUUM (FREEZE, ANALYZE) metabase_segments');
      await pool.query('VACUUM (FREEZE, ANALYZE) metabase_objects');
      phase('vacuum');
    } finally {
      await pool.end();
    }
    const exiting = nodeIdOf(EXITING_NODE);
    await store.exits.startExit(exiting, now);
    await store.overlay.setStatus({ id: exiting, from: 'active', to: 'exiting', at: now });
  } finally {
    await store.close();
  }
}

async function benchGathering(rows: BenchRow[], notes: string[]): Promise<void> {
  const serverUrl = process.env.HANDOFF_PG_URL;
  if (!serverUrl) {
    notes.push('Gathering over PostgreSQL not measured: HANDOFF_PG_URL is not set.');
    return;
  }
  const segments = Number(process.env.HANDOFF_BENCH_EXIT_SEGMENTS ?? 1_000_000);
  const db = await createScratchDatabase(serverUrl, 'handoff_bench_exit');
  try {
    const loadStart = performance.now();
    await loadMetabase(db.url, segments);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const gather = await Party.start('gather', { url: db.url, nodeId: toHex(nodeIdOf(EXITING_NODE)) });
    let result: {
      scans: Array<{ ms: number; rows: number; cpuMs: number }>; gatherMs: number; gatherCpuMs: number; rssAfterScanKiB: number; rssAfterGatherKiB: number;
      exit?: { gathered: boolean; piecesQueued: number }; errors: string[];
    };
    try {
      result = await gather.command('go');
    } finally {
      await gather.stop();
    }
    const expected = segments / 20;
    if (!result.exit?.gathered || result.exit.piecesQueued !== expected || result.scans.some((s) => s.rows !== segments)) {
      throw new Error(`gathering went wrong: ${JSON.stringify(result)}`);
    }
    const scanMs = Math.min(...result.scans.map((s) => s.ms));
    rows.push(
      {
        name: `gathering one exiting node over PostgreSQL: ${fmt(segments)} segments × ${PIECES_PER_SEGMENT} pieces, the node in 1 segment of 20 (batches of ${DEFAULT_EXIT_CONFIG.gatherBatchSize})`,
        value: `${fmt(result.gatherMs / 1000, 1)} s (${fmt(segments / (result.gatherMs / 1000))} segments/s, ${fmt(result.exit.piecesQueued)} pieces queued; CPU ${fmt(result.gatherCpuMs / 1000, 1)} s)`,
        baseline: `bare SELECT scan, same statement/batches/pool: ${fmt(scanMs / 1000, 1)} s (runs ${result.scans.map((s) => fmt(s.ms / 1000, 1)).join(' / ')} s; CPU ${result.scans.map((s) => fmt(s.cpuMs / 1000, 1)).join(' / ')} s)`,
        ratio: scanMs / result.gatherMs,
        goal: '≥ 0.5',
      },
      {
        name: 'satellite peak memory (RSS) during gathering (its process; includes the scans before it)',
        value: `${fmt(result.rssAfterGatherKiB / KIB)} MiB (after the first scan: ${fmt(result.rssAfterScanKiB / KIB)} MiB)`,
        baseline: 'limit 512 MiB',
        ratio: 512 / (result.rssAfterGatherKiB / KIB),
        goal: '≥ 1 (< 512 MiB)',
      },
    );
    notes.push(
      `Gathering: PostgreSQL ${(await serverVersion(db.url)) ?? ''}, metabase bulk-loaded in ${fmt(loadSeconds)} s (INSERT … SELECT over generate_series into a scratch database; ` +
        `${GATHER_NODES} nodes, all active but the exiting one; redundancy 10/15/25/30, so every queued piece is a drop). ` +
        'The gatherer runs in a child process with the stores on one pool of 10 connections, the way openSatelliteStore opens them; the scan runs before and after it, the faster counts.',
    );
  } finally {
    await db.drop();
  }
}

/** The exit section as bench/results.md holds it now ('' when there is none). */
function previousExitSection(): string {
  try {
    return exitSectionOf(readFileSync(fileURLToPath(new URL('./results.md', import.meta.url)), 'utf8')) ?? '';
  } catch {
    return '';
  }
}

export async function benchExit(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const only = process.env.HANDOFF_BENCH_EXIT_ONLY || undefined;
  if (only !== undefined && only !== 'throughput' && only !== 'gather') throw new Error(`HANDOFF_BENCH_EXIT_ONLY expected throughput or gather, got ${only}`);
  // bench/run.ts replaces the section whole: the half that does not run keeps its rows and notes.
  const kept = only === undefined ? undefined : keptHalf(previousExitSection(), only === 'throughput' ? 'gather' : 'throughput');
  if (only === 'gather' && kept) (rows.push(...kept.rows), notes.push(...kept.notes));
  if (only !== 'gather') await benchThroughput(rows, notes);
  if (only !== 'throughput') await benchGathering(rows, notes);
  if (only === 'throughput' && kept) (rows.push(...kept.rows), notes.push(...kept.notes));
  const load = os.loadavg().map((l) => fmt(l, 1)).join(' / ');
  notes.push(`Load average at the end (1 / 5 / 15 min): ${load} — other work on this ${os.cpus().length}-vCPU machine competes with the exit's processes more than with the mostly-waiting raw copy.`);
  return { title: 'Graceful exit (issue 11)', rows, notes };
}

// `tsx bench/exit.ts` runs this section alone and prints it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await benchExit(), null, 2));
}
