/**
 * Repair (issue 12, "Performance"), two measurements, each against a baseline in the same run:
 *
 * 1. Repair throughput: 10 storage nodes over TCP (piece files on disk, fsync off as in test
 *    networks), 1,010 segments of 1 MiB uploaded by an uplink with redundancy 4/6/7/7, then 3
 *    nodes stop for good (closed and disqualified). The checker queues every segment that lost a
 *    piece (about 1,000); the repairer rebuilds them (download `required` pieces in full, check
 *    each against its signed hash, decode, re-encode, upload the missing pieces to new nodes,
 *    compare-and-swap). Baseline: the same transfers with nothing else — for each queued segment
 *    a plain Piecestore download of the same `required` pieces from the same nodes and a plain
 *    upload of as many pieces of the same size as the repair makes, to nodes holding none of the
 *    segment — at the repairer's concurrency, run before and after the repair (the faster counts).
 * 2. The checker over PostgreSQL (HANDOFF_PG_URL): 1,000,000 segments of 10 pieces on 40 nodes,
 *    6 of them offline, bulk-loaded with generate_series into a scratch database; one checker
 *    pass against a bare scan of the same rows (the metabase's own statement, batch size and
 *    pool), with the peak memory of the process running it (bench/repair-checker.ts).
 *
 *   npm run bench repair     HANDOFF_BENCH_REPAIR_SEGMENTS=100000 npm run bench repair (a smaller checker run)
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { equalBytes, utf8 } from '../src/core/bytes.js';
import { getCryptoProvider } from '../src/crypto/select.js';
import { pieceState } from '../src/durability/repair/pieces.js';
import { planRepair } from '../src/durability/repair/plan.js';
import { DEFAULT_REPAIR_CONFIG } from '../src/durability/repair/types.js';
import type { Piece, RedundancyScheme, SegmentRecord } from '../src/metainfo/metabase/types.js';
import { pieceSizeFor } from '../src/metainfo/redundancy.js';
import { signOrderLimit, type PieceAction } from '../src/orders/order-limit.js';
import { derivePieceId } from '../src/orders/piece-id.js';
import { generatePieceKey, pieceSigner } from '../src/orders/piece-key.js';
import type { NodeRecord } from '../src/overlay/types.js';
import { downloadPiece, uploadPiece } from '../src/piecestore/client.js';
import { openSatelliteStore } from '../src/satellite/store.js';
import { createScratchDatabase } from '../src/sql/postgres.js';
import { createTestNetwork, type TestNetwork } from '../src/testing/network.js';
import { tcpTransport } from '../src/transport/tcp.js';
import { NodeClients } from '../src/uplink/context.js';
import { fmt, mbps, serverVersion, type BenchRow, type BenchSection } from './lib.js';

const MIB = 1024 * 1024;
const KIB = 1024;
const SEGMENT = MIB;
const OBJECT_SEGMENTS = 10;
/** 1,010 segments: about 1,000 of them lose a piece. */
const OBJECTS = Number(process.env.HANDOFF_BENCH_REPAIR_OBJECTS ?? 101);
/** Repair and baseline alternate over this many slices of the work, so a busy machine slows both alike. */
const ROUNDS = 4;
/** Every piece counts: a segment that lost any is at its repair threshold, and 7 running nodes are enough to make it whole. */
const REDUNDANCY: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 4, repair: 6, success: 7, total: 7 };
const ONLINE_WINDOW_MS = 4 * 3_600_000;
const CONCURRENCY = DEFAULT_REPAIR_CONFIG.concurrency;

const log = (message: string): void => void process.stderr.write(`  repair bench: ${message}\n`);
const random = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);

/** What one queued segment's repair moves: the pieces it downloads and how many it uploads, of what size. */
interface Work {
  readonly segment: SegmentRecord;
  readonly healthy: number;
  readonly sources: readonly { readonly piece: Piece; readonly node: NodeRecord }[];
  readonly uploads: number;
  /** Nodes holding none of the segment's pieces: where the baseline uploads go. */
  readonly targets: readonly NodeRecord[];
  readonly pieceSize: number;
}

/** Plain Piecestore transfers of the same pieces, same nodes, same concurrency: no checks, no coding, no metabase. */
async function baseline(network: TestNetwork, work: readonly Work[]): Promise<number> {
  const { identity } = network.satellite;
  const clients = new NodeClients(tcpTransport(), identity);
  const data = random(work[0]!.pieceSize);
  const limit = (action: PieceAction, nodeId: Uint8Array, pieceId: Uint8Array, size: number, key: Uint8Array) =>
    signOrderLimit(identity, {
      serialNumber: random(16), satelliteId: identity.publicKey, storageNodeId: nodeId, pieceId, action, limitBytes: size,
      orderExpiration: Date.now() + 3_600_000, piecePublicKey: key, createdAt: Date.now(),
    });
  const pending = [...work];
  const start = performance.now();
  const worker = async (): Promise<void> => {
    for (let item = pending.shift(); item !== undefined; item = pending.shift()) {
      const key = generatePieceKey();
      const signer = pieceSigner(key.privateKey);
      const size = item.pieceSize;
      await Promise.all(item.sources.map(async ({ piece, node }) => {
        const pieceId = derivePieceId(item.segment.rootPieceId, node.id, piece.number);
        const out = new Uint8Array(size);
        let at = 0;
        const l = limit('GET_REPAIR', node.id, pieceId, size, key.publicKey);
        for await (const chunk of downloadPiece(clients.get(node.address, node.id), { limit: l, pieceKey: signer, offset: 0, length: size, orderAheadBytes: size })) {
          out.set(chunk, at);
          at += chunk.length;
        }
      }));
      const root = random(32);
      await Promise.all(item.targets.slice(0, item.uploads).map(async (node, n) => {
        const l = limit('PUT_REPAIR', node.id, derivePieceId(root, node.id, n), size, key.publicKey);
        await uploadPiece(clients.get(node.address, node.id), { limit: l, pieceKey: signer, data: data.subarray(0, size) });
      }));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const ms = performance.now() - start;
  await clients.close();
  return ms;
}

async function benchThroughput(rows: BenchRow[], notes: string[]): Promise<void> {
  const network = await createTestNetwork({
    nodes: 10, transport: 'tcp', storage: 'sqlite', redundancy: REDUNDANCY, segmentSize: SEGMENT,
    satellite: { metainfo: { maxSegmentSize: 2 * SEGMENT } },
    // The bench drives the checker and the repairer itself.
    repair: { checkIntervalMs: 24 * 3_600_000, repairIntervalMs: 24 * 3_600_000 },
  });
  try {
    const uplink = await network.uplink();
    await uplink.createBucket('bench');
    const body = random(OBJECT_SEGMENTS * SEGMENT - 64 * KIB);
    const uploadStart = performance.now();
    let next = 0;
    const uploader = async (): Promise<void> => {
      for (let i = next++; i < OBJECTS; i = next++) await uplink.upload('bench', `object-${i}`, body);
    };
    await Promise.all(Array.from({ length: 4 }, uploader));
    log(`uploaded ${OBJECTS} objects in ${fmt((performance.now() - uploadStart) / 1000, 1)} s`);

    const dead = network.nodes.slice(0, 3);
    for (const node of dead) {
      await node.close();
      await network.satellite.store.overlay.setStatus({ id: node.identity.publicKey, from: 'active', to: 'disqualified', at: Date.now(), reason: 'bench: gone for good' });
    }
    const checked = await network.satellite.repair.checkOnce();
    log(`checker queued ${checked.queued} of ${checked.remote} segments`);

    // What the repairer will move, segment by segment, as its own plan says.
    const work: Work[] = [];
    const overlay = network.satellite.store.overlay;
    const everyNode = await overlay.getMany(network.nodes.map((n) => n.identity.publicKey));
    const live = everyNode.filter((n) => n.status === 'active');
    let cursor;
    for (;;) {
      const batch = await network.satellite.store.metabase.iterateSegments({ cursor, limit: 1000 });
      for (const segment of batch) {
        if (segment.pieces.length === 0) continue;
        const nodeOf = (id: Uint8Array) => everyNode.find((n) => equalBytes(n.id, id));
        const plan = planRepair(segment, (p) => pieceState(nodeOf(p.nodeId), Date.now(), ONLINE_WINDOW_MS));
        if (plan.kind !== 'repair') continue;
        work.push({
          segment,
          healthy: plan.healthy,
          sources: plan.sources.slice(0, REDUNDANCY.required).map((piece) => ({ piece, node: nodeOf(piece.nodeId)! })),
          uploads: plan.numbers.length,
          targets: live.filter((n) => !segment.pieces.some((p) => equalBytes(p.nodeId, n.id))),
          pieceSize: pieceSizeFor(segment.encryptedSize, REDUNDANCY),
        });
      }
      const last = batch.at(-1);
      if (batch.length < 1000 || last === undefined) break;
      cursor = { streamId: last.streamId, position: last.position };
    }
    const bytes = work.reduce((n, w) => n + (w.sources.length + w.uploads) * w.pieceSize, 0);
    const piecesDown = work.reduce((n, w) => n + w.sources.length, 0);
    const piecesUp = work.reduce((n, w) => n + w.uploads, 0);

    // Slice by slice: the slice's segments go back into the queue and the repairer drains it;
    // the baseline moves the same slice's pieces; which goes first alternates.
    const queue = network.satellite.store.repairQueue;
    await queue.clean(Date.now() + 1);
    let repairMs = 0;
    let baselineMs = 0;
    let repaired = 0;
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const slice = work.slice(Math.floor((round * work.length) / ROUNDS), Math.floor(((round + 1) * work.length) / ROUNDS));
      const repairSlice = async (): Promise<void> => {
        await queue.insert(slice.map((w) => ({ streamId: w.segment.streamId, position: w.segment.position, healthy: w.healthy })), Date.now());
        const start = performance.now();
        const run = await network.satellite.repair.repairOnce();
        repairMs += performance.now() - start;
        repaired += run.repaired;
        outcomes.push(JSON.stringify(run));
      };
      const baselineSlice = async (): Promise<void> => {
        baselineMs += await baseline(network, slice);
      };
      if (round % 2 === 0) {
        await baselineSlice();
        await repairSlice();
      } else {
        await repairSlice();
        await baselineSlice();
      }
      log(`round ${round}: repair ${fmt(repairMs)} ms, baseline ${fmt(baselineMs)} ms so far`);
    }
    if (repaired !== work.length) notes.push(`**Only ${repaired} of ${work.length} queued segments were repaired** (${outcomes.join(', ')}).`);
    rows.push({
      name: `repair of ${fmt(work.length)} segments (1 MiB, 4/6/7/7) after 3 of 10 nodes die, over TCP`,
      value: `${fmt(mbps(bytes, repairMs))} MB/s (${fmt(repairMs / 1000, 2)} s; ${fmt(work.length / (repairMs / 1000))} segments/s)`,
      baseline: `raw Piecestore download of the ${fmt(piecesDown)} required pieces + upload of the ${fmt(piecesUp)} missing ones ${fmt(mbps(bytes, baselineMs))} MB/s`,
      ratio: baselineMs / repairMs,
      goal: '≥ 0.7',
    });
    notes.push(
      `Repair: ${fmt(bytes / MIB)} MiB of pieces moved (${fmt(piecesDown)} down, ${fmt(piecesUp)} up), the satellite on SQLite, the 10 nodes on piece files (fsync off), ` +
        `everything in this process over TCP loopback; repairer concurrency ${CONCURRENCY} segments, the baseline the same. ` +
        `Repair and baseline alternate over ${ROUNDS} slices of the segments (the slice is queued again and the repairer drains the queue), so load from elsewhere on the machine slows both alike. ` +
        'Beyond the baseline\'s transfers the repair checks every downloaded piece against its proof (the satellite\'s limit, the uplink\'s signature, SHA-256), ' +
        'decodes and re-encodes the segment, selects nodes, signs limits, and reads, swaps and queues in the SQLite metabase — in this same process, on the same cores.',
    );
  } finally {
    await network.close();
  }
}

/** Node ids for the checker's metabase: 40 nodes, numbered. */
const nodeIdOf = (n: number): Uint8Array => getCryptoProvider().sha256(utf8(`repair-bench-node-${n}`));
const CHECK_NODES = 40;
const CHECK_OFFLINE = 6;
const CHECK_LISTS = 1000;
const CHECK_REDUNDANCY: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 4, repair: 6, success: 8, total: 10 };
const SEGMENTS_PER_OBJECT = 100;

/** A deterministic generator (mulberry32), so every run loads the same piece lists. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Loads `segments` segments (objects of 100, stream ids random-looking as real ones are) of 10
 * pieces: 1,000 distinct lists of 10 of the 40 nodes, segment g using list g mod 1,000. Nodes 0–5 last checked in long ago (offline), so
 * about 2.6 % of segments are at or below their repair threshold. INSERT … SELECT over
 * generate_series; the root-piece-id index rebuilt after; VACUUM so no scan pays for hint bits.
 */
async function loadMetabase(url: string, segments: number): Promise<number> {
  const store = await openSatelliteStore({ kind: 'postgres', connectionString: url }); // runs the migrations
  const now = Date.now();
  const rand = seeded(12);
  const lists: number[][] = Array.from({ length: CHECK_LISTS }, () => {
    const nodes = Array.from({ length: CHECK_NODES }, (_, i) => i);
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
    }
    return nodes.slice(0, CHECK_REDUNDANCY.total);
  });
  const needing = lists.filter((l) => CHECK_REDUNDANCY.total - l.filter((n) => n < CHECK_OFFLINE).length <= CHECK_REDUNDANCY.repair).length;
  try {
    const { projectId } = await store.projects.createProject('bench', now);
    await store.metabase.createBucket({ projectId, name: 'check', createdAt: now });
    for (let n = 0; n < CHECK_NODES; n++) {
      const at = n < CHECK_OFFLINE ? now - 2 * ONLINE_WINDOW_MS : now;
      await store.overlay.checkIn({ id: nodeIdOf(n), address: `10.0.0.${n}:28967`, wallet: '0x0', freeBytes: 2 ** 40, version: '0.1.0', at });
    }
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const r = CHECK_REDUNDANCY;
      const blobs = lists.map((list) => {
        const blob = new Uint8Array(list.length * 34);
        list.forEach((node, number) => {
          blob[number * 34 + 1] = number;
          blob.set(nodeIdOf(node), number * 34 + 2);
        });
        return Buffer.from(blob);
      });
      await pool.query('DROP INDEX metabase_segments_root_piece_id');
      await pool.query(
        `INSERT INTO metabase_objects (stream_id, project_id, bucket_name, object_key, version, status, created_at, committed_at, segment_count,
           total_plain_size, total_encrypted_size, rs_share_size, rs_required, rs_repair, rs_success, rs_total, cipher_suite, block_size)
         SELECT substring(sha256(int8send(s)) from 1 for 16), $1, $2, sha256(int8send(s)), 1, 'committed', $3, $3, $4,
           $4::bigint * 67092480, $4::bigint * 67108864, ${r.shareSize}, ${r.required}, ${r.repair}, ${r.success}, ${r.total}, 'handoff-enc/v1', 65520
         FROM generate_series(0, $5::bigint - 1) AS s`,
        [projectId, utf8('check'), now, SEGMENTS_PER_OBJECT, Math.ceil(segments / SEGMENTS_PER_OBJECT)],
      );
      await pool.query('CREATE TEMP TABLE bench_lists AS SELECT (n - 1)::bigint AS o, blob FROM unnest($1::bytea[]) WITH ORDINALITY AS u (blob, n)', [blobs]);
      await pool.query(
        `INSERT INTO metabase_segments (stream_id, position, created_at, expires_at, root_piece_id, encrypted_key, encrypted_key_nonce,
           encrypted_size, plain_size, plain_offset, rs_share_size, rs_required, rs_repair, rs_success, rs_total, pieces, inline_data)
         SELECT substring(sha256(int8send(g / ${SEGMENTS_PER_OBJECT})) from 1 for 16), g % ${SEGMENTS_PER_OBJECT}, $1, NULL, sha256(int8send(-1 - g)),
           $2::bytea, $3::bytea, 67108864, 67092480, (g % ${SEGMENTS_PER_OBJECT}) * 67092480,
           ${r.shareSize}, ${r.required}, ${r.repair}, ${r.success}, ${r.total}, l.blob, NULL
         FROM generate_series(0, $4::bigint - 1) AS g JOIN bench_lists AS l ON l.o = g % ${CHECK_LISTS}`,
        [now, random(48), random(24), segments],
      );
      await pool.query('CREATE INDEX metabase_segments_root_piece_id ON metabase_segments (root_piece_id)');
      await pool.query('VACUUM (FREEZE, ANALYZE) metabase_segments');
      await pool.query('VACUUM (FREEZE, ANALYZE) metabase_objects');
    } finally {
      await pool.end();
    }
  } finally {
    await store.close();
  }
  // Segments per list are equal up to one: the expected queue length.
  let expected = 0;
  lists.forEach((l, i) => {
    if (CHECK_REDUNDANCY.total - l.filter((n) => n < CHECK_OFFLINE).length > CHECK_REDUNDANCY.repair) return;
    expected += Math.floor(segments / CHECK_LISTS) + (i < segments % CHECK_LISTS ? 1 : 0);
  });
  log(`${needing} of ${CHECK_LISTS} piece lists need repair`);
  return expected;
}

interface CheckerRun {
  readonly scans: readonly { readonly ms: number; readonly rows: number }[];
  readonly checkMs: number;
  readonly stats: { readonly segments: number; readonly queued: number; readonly irreparable: number };
  readonly queued: number;
  readonly rssAfterCheckKiB: number;
}

async function runChecker(url: string, batchSize: number): Promise<CheckerRun> {
  const script = fileURLToPath(new URL('./repair-checker.ts', import.meta.url));
  // HANDOFF_BENCH_REPAIR_PROF=<dir>: the checker process writes a CPU profile there (node --cpu-prof).
  const prof = process.env.HANDOFF_BENCH_REPAIR_PROF;
  const flags = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, JSON.stringify({ url, batchSize, onlineWindowMs: ONLINE_WINDOW_MS })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`repair checker child failed (${code}): ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as CheckerRun;
}

async function benchChecker(rows: BenchRow[], notes: string[]): Promise<void> {
  const serverUrl = process.env.HANDOFF_PG_URL;
  if (!serverUrl) {
    notes.push('The checker over PostgreSQL was not measured: HANDOFF_PG_URL is not set.');
    return;
  }
  const segments = Number(process.env.HANDOFF_BENCH_REPAIR_SEGMENTS ?? 1_000_000);
  const db = await createScratchDatabase(serverUrl, 'handoff_bench_repair');
  try {
    const loadStart = performance.now();
    const expected = await loadMetabase(db.url, segments);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const batchSize = DEFAULT_REPAIR_CONFIG.checkBatchSize;
    const run = await runChecker(db.url, batchSize);
    const scanMs = Math.min(...run.scans.map((s) => s.ms));
    if (run.stats.segments !== segments || run.queued !== expected) {
      notes.push(`**The checker saw ${run.stats.segments} segments and queued ${run.queued}; expected ${segments} and ${expected}.**`);
    }
    rows.push(
      {
        name: `checker pass over ${fmt(segments)} segments (PostgreSQL), ${fmt(run.queued)} queued`,
        value: `${fmt(segments / (run.checkMs / 1000))} segments/s (${fmt(run.checkMs / 1000, 1)} s)`,
        baseline: `bare scan of the same rows ${fmt(segments / (scanMs / 1000))} rows/s (${fmt(scanMs / 1000, 1)} s)`,
        ratio: scanMs / run.checkMs,
        goal: '≥ 0.5',
      },
      {
        name: 'peak memory of the process running that pass',
        value: `${fmt(run.rssAfterCheckKiB / KIB)} MiB`,
        baseline: 'limit 512 MiB',
        ratio: 512 / (run.rssAfterCheckKiB / KIB),
        goal: '≥ 1 (< 512 MiB)',
      },
    );
    notes.push(
      `Checker: PostgreSQL ${(await serverVersion(db.url)) ?? ''}, metabase bulk-loaded in ${fmt(loadSeconds)} s (INSERT … SELECT over generate_series into a scratch database; ` +
        `10 pieces per segment on ${CHECK_NODES} nodes, ${CHECK_OFFLINE} of them offline; redundancy 4/6/8/10). The pass runs in a child process with the stores on one pool of ` +
        `10 connections, the way openSatelliteStore opens them: ${DEFAULT_REPAIR_CONFIG.checkRanges} ranges of stream ids at once, batches of ${fmt(batchSize)} segments. ` +
        'The bare scan is one sequential walk with the metabase\'s own statement and batch size on the same pool, run before and after the pass in the same process; the faster counts.',
    );
  } finally {
    await db.drop();
  }
}

export async function benchRepair(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const only = process.env.HANDOFF_BENCH_REPAIR_ONLY;
  if (only !== 'checker') await benchThroughput(rows, notes);
  if (only !== 'throughput') await benchChecker(rows, notes);
  const load = os.loadavg().map((n) => n.toFixed(1)).join(' / ');
  notes.push(`MB = 10^6 bytes; MiB = ${MIB} bytes. Load average at the end (1 / 5 / 15 min): ${load} — other work on this 2-core machine ran alongside.`);
  return { title: 'Repair (issue 12)', rows, notes };
}

// `tsx bench/repair.ts` runs this section alone and prints it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await benchRepair(), null, 2));
}
