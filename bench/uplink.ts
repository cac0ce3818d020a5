/**
 * Uplink upload and download of a 256 MiB object over TCP to a local network (a satellite and
 * ten storage nodes with memory piece stores, 4/6/8/10 redundancy) running in a child process,
 * against a baseline measured in the same run: the same bytes pushed through raw TCP sockets to
 * the same number of listeners in that process — size × total/required for the upload (what the
 * uplink sends after erasure coding), size for the download (required pieces of size/required).
 * Also the uplink process's peak RSS growth during the upload against 4 × segment size.
 * Goals: upload ≥ 0.5, download ≥ 0.6.
 *
 * Issue 17 adds the protocol floor (bench/uplink-floor.ts): the same transfers in the same
 * processes with the work the protocol requires — AES-256-GCM, parity with the uplink's own
 * erasure engine, SHA-256 of every uploaded piece on both sides — and no more. Goals: wall-clock
 * ≥ 0.7 of the floor; CPU of both processes together ≤ 1.3 × the floor's.
 *
 * Run alone with `npx tsx bench/uplink.ts`; the child re-runs this file with a role variable.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RedundancyScheme } from '../src/metainfo/metabase/types.js';
import { tcpTransport } from '../src/transport/index.js';
import { DEFAULT_SEGMENT_SIZE, Uplink } from '../src/uplink/index.js';
import { fmt, mbps, type BenchSection } from './lib.js';
import { floorDownload, floorUpload, freshVersusReusedPieces, rawDownload, rawSink, rawUpload, type FloorShape } from './uplink-floor.js';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
const NODES = 10;
export const REDUNDANCY: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 4096, required: 4, repair: 6, success: 8, total: 10 };
const ROLE = 'HANDOFF_BENCH_UPLINK_ROLE';

interface NetworkReady {
  satelliteAddress: string;
  satelliteId: string;
  apiKey: string;
  sinks: string[];
}

/** The child: satellite, nodes and raw sinks, until its parent disconnects. */
async function serveNetwork(): Promise<void> {
  const { Satellite, openSatelliteStore } = await import('../src/satellite/index.js');
  const { StorageNode, MemoryPieceStore } = await import('../src/node/index.js');
  const { NodeDatabase } = await import('../src/node/sqlite.js');
  const store = await openSatelliteStore({ kind: 'memory' });
  const satellite = await Satellite.start({ transport: tcpTransport(), address: '127.0.0.1:0', store, config: { metainfo: { redundancy: REDUNDANCY } } });
  for (let i = 0; i < NODES; i++) {
    await StorageNode.start({
      transport: tcpTransport(),
      address: '127.0.0.1:0',
      satellites: [{ id: satellite.id, address: satellite.address }],
      storage: new MemoryPieceStore(),
      db: await NodeDatabase.open({ path: ':memory:' }),
      wallet: '0x0',
      capacity: 2 ** 40,
    });
  }
  const { apiKey } = await satellite.createProject('bench');
  const sinks: string[] = [];
  for (let i = 0; i < NODES; i++) sinks.push(await rawSink());
  process.send!({ satelliteAddress: satellite.address, satelliteId: satellite.id.toString(), apiKey, sinks } satisfies NetworkReady);
  process.on('disconnect', () => process.exit(0));
}

export async function startNetwork(): Promise<{ child: ChildProcess; ready: NetworkReady }> {
  // HANDOFF_BENCH_UPLINK_PROF=<dir>: the network process writes a CPU profile there (node --cpu-prof).
  const prof = process.env.HANDOFF_BENCH_UPLINK_PROF;
  const execArgv = [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), '--import', 'tsx'];
  const child = fork(fileURLToPath(import.meta.url), [], { execArgv, env: { ...process.env, [ROLE]: 'network' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<NetworkReady>((resolve, reject) => {
    child.once('message', (message) => resolve(message as NetworkReady));
    child.once('exit', (code) => reject(new Error(`the network process exited with ${code}`)));
  });
  return { child, ready };
}

/** Runs `work` while sampling RSS; returns its duration and the peak RSS growth over the start. */
async function measured<T>(work: () => Promise<T>): Promise<{ ms: number; peakGrowth: number; result: T }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const start = performance.now();
  const result = await work();
  const ms = performance.now() - start;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { ms, peakGrowth: peak - base, result };
}

/** Best of this many rounds; each round runs every measurement once, alternating with its baseline. */
const ROUNDS = 5;

/** CPU seconds the network process has used so far (Linux /proc), or undefined elsewhere. */
function childCpuSeconds(child: ChildProcess): number | undefined {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

interface Timed {
  ms: number;
  /** CPU seconds of this process and of the network process during the run. */
  uplinkCpu: number;
  networkCpu: number | undefined;
}

async function timed(child: ChildProcess, work: () => Promise<number | void>): Promise<Timed> {
  const childBefore = childCpuSeconds(child);
  const before = process.cpuUsage();
  const start = performance.now();
  const reported = await work();
  const ms = typeof reported === 'number' ? reported : performance.now() - start;
  const used = process.cpuUsage(before);
  const childAfter = childCpuSeconds(child);
  return { ms, uplinkCpu: (used.user + used.system) / 1e6, networkCpu: childBefore === undefined || childAfter === undefined ? undefined : childAfter - childBefore };
}

const fastest = (runs: readonly Timed[]): Timed => runs.reduce((best, run) => (run.ms < best.ms ? run : best));
/** The least CPU seconds (both processes) any of `runs` took. */
const leastCpu = (runs: readonly Timed[]): number => Math.min(...runs.map((run) => run.uplinkCpu + (run.networkCpu ?? 0)));

function cpuNote(label: string, run: Timed): string {
  const network = run.networkCpu === undefined ? '' : `, network process ${fmt(run.networkCpu, 2)} s`;
  return `${label}: ${fmt(run.ms / 1000, 2)} s wall; CPU uplink process ${fmt(run.uplinkCpu, 2)} s${network}`;
}

export async function benchUplink(): Promise<BenchSection> {
  const { child, ready } = await startNetwork();
  try {
    const data = randomFillSync(new Uint8Array(SIZE));
    const { required, total } = REDUNDANCY;
    const shape: FloorShape = { required, total, shareSize: REDUNDANCY.shareSize, segmentSize: DEFAULT_SEGMENT_SIZE };
    const uplink = await Uplink.connect({ transport: tcpTransport(), satelliteAddress: ready.satelliteAddress, satelliteId: ready.satelliteId, apiKey: ready.apiKey, rootKey: new Uint8Array(32).fill(7) });
    await uplink.createBucket('bench');
    await uplink.upload('bench', 'warm-up', data.subarray(0, 8 * MiB));
    await uplink.download('bench', 'warm-up');
    await floorUpload(ready.sinks, shape, data.subarray(0, 8 * MiB));
    await floorDownload(ready.sinks, shape, 8 * MiB);

    const runs = { rawUp: [] as Timed[], floorUp: [] as Timed[], up: [] as Timed[], rawDown: [] as Timed[], floorDown: [] as Timed[], down: [] as Timed[] };
    let peakGrowth = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const key = `object-${round}`;
      runs.rawUp.push(await timed(child, () => rawUpload(ready.sinks.slice(0, total), SIZE / required, data)));
      runs.floorUp.push(await timed(child, () => floorUpload(ready.sinks, shape, data)));
      runs.up.push(
        await timed(child, async () => {
          const up = await measured(() => uplink.upload('bench', key, data));
          peakGrowth = Math.max(peakGrowth, up.peakGrowth);
          return up.ms;
        }),
      );
      runs.rawDown.push(await timed(child, () => rawDownload(ready.sinks.slice(0, required), SIZE / required)));
      runs.floorDown.push(await timed(child, () => floorDownload(ready.sinks, shape, SIZE)));
      let downloaded: Uint8Array = new Uint8Array(0);
      runs.down.push(
        await timed(child, async () => {
          const start = performance.now();
          downloaded = await uplink.download('bench', key);
          return performance.now() - start;
        }),
      );
      // Checked outside the timing: comparing is the bench's work, not the download's (and
      // Buffer.from(array) would copy 256 MiB into fresh memory on the uplink's CPU bill).
      if (!Buffer.from(downloaded.buffer, downloaded.byteOffset, downloaded.length).equals(data)) throw new Error('the downloaded object differs from the uploaded one');
      await uplink.deleteObject('bench', key);
    }
    await uplink.close();
    const memory = [0, 1, 2].map(() => freshVersusReusedPieces(shape, data));
    const freshMs = Math.min(...memory.map((m) => m.freshMs));
    const reusedMs = Math.min(...memory.map((m) => m.reusedMs));

    const [rawUp, floorUp, up, rawDown, floorDown, down] = [runs.rawUp, runs.floorUp, runs.up, runs.rawDown, runs.floorDown, runs.down].map(fastest) as [Timed, Timed, Timed, Timed, Timed, Timed];
    const [floorUpCpu, upCpu, floorDownCpu, downCpu] = [runs.floorUp, runs.up, runs.floorDown, runs.down].map(leastCpu) as [number, number, number, number];
    const upMbps = mbps(SIZE, up.ms);
    const downMbps = mbps(SIZE, down.ms);
    const rawUpMbps = mbps(SIZE, rawUp.ms);
    const rawDownMbps = mbps(SIZE, rawDown.ms);
    const floorUpMbps = mbps(SIZE, floorUp.ms);
    const floorDownMbps = mbps(SIZE, floorDown.ms);
    // One segment sending and the next one encoding ahead of it.
    const inFlight = 2;
    const bound = 4 * DEFAULT_SEGMENT_SIZE * inFlight;
    return {
      title: 'Uplink upload and download (issue 4)',
      rows: [
        { name: `upload 256 MiB over TCP, ${required}/${total} to ${NODES} nodes`, value: `${fmt(upMbps)} MB/s`, baseline: `raw TCP, ${fmt(total / required, 1)}× the bytes to ${total} listeners: ${fmt(rawUpMbps)} MB/s of object`, ratio: upMbps / rawUpMbps, goal: '≥ 0.5' },
        { name: `download 256 MiB over TCP from ${required} nodes`, value: `${fmt(downMbps)} MB/s`, baseline: `raw TCP, the same bytes from ${required} listeners: ${fmt(rawDownMbps)} MB/s`, ratio: downMbps / rawDownMbps, goal: '≥ 0.6' },
        { name: 'upload against the protocol floor (issue 17), wall clock', value: `${fmt(upMbps)} MB/s`, baseline: `floor: raw TCP + AES-256-GCM + parity + SHA-256 of every piece on both sides: ${fmt(floorUpMbps)} MB/s`, ratio: upMbps / floorUpMbps, goal: '≥ 0.7' },
        { name: 'upload CPU, uplink + network processes', value: `${fmt(upCpu, 2)} CPU-s`, baseline: `floor: ${fmt(floorUpCpu, 2)} CPU-s`, ratio: upCpu / floorUpCpu, goal: '≤ 1.3' },
        { name: 'download against the protocol floor (issue 17), wall clock', value: `${fmt(downMbps)} MB/s`, baseline: `floor: raw TCP of the data pieces + interleaving + AES-256-GCM into the result: ${fmt(floorDownMbps)} MB/s`, ratio: downMbps / floorDownMbps, goal: '≥ 0.7' },
        { name: 'download CPU, uplink + network processes', value: `${fmt(downCpu, 2)} CPU-s`, baseline: `floor: ${fmt(floorDownCpu, 2)} CPU-s`, ratio: downCpu / floorDownCpu, goal: '≤ 1.3' },
        { name: 'uplink RSS growth during the upload', value: `${fmt(peakGrowth / MiB, 1)} MiB`, baseline: `bound 4 × segment × ${inFlight} segments in flight = ${fmt(bound / MiB, 1)} MiB`, ratio: bound / Math.max(1, peakGrowth), goal: '≥ 1' },
      ],
      notes: [
        `The network (satellite + ${NODES} nodes, memory piece stores) runs in a child process; segments are ${fmt(DEFAULT_SEGMENT_SIZE / MiB, 2)} MiB (64 MiB encrypted), shares ${REDUNDANCY.shareSize} bytes. Best of ${ROUNDS} rounds, each running raw TCP, the floor and the uplink one after another. Wall-clock rows take the fastest run of each; CPU rows the least CPU (user + system, both processes) any run of each took. For the CPU rows the ratio is uplink / floor (lower is better).`,
        'The floor (bench/uplink-floor.ts) does, in the same processes, only the work the protocol requires, as fast as node:crypto and the uplink\'s own erasure engine do it: upload — one streaming AES-256-GCM per segment, the ciphertext spread into the data pieces, parity from the same `ErasureEngine`, a streaming SHA-256 of every piece before 1 MiB writes, and the listeners hashing every byte as it arrives; download — the data pieces received, interleaved back into segment order and run through AES-256-GCM into one fresh buffer (the tag computed at each segment\'s end). No framing, orders, signatures or receipts. The download floor hashes nothing because the protocol does not: nodes send what they store and the uplink authenticates content by its AEAD tags.',
        [
          'Where the time goes (the fastest run of each; CPU seconds from process.cpuUsage and /proc):',
          `- ${cpuNote('raw upload', rawUp)}`,
          `- ${cpuNote('floor upload', floorUp)}`,
          `- ${cpuNote('uplink upload', up)}`,
          `- ${cpuNote('raw download', rawDown)}`,
          `- ${cpuNote('floor download', floorDown)}`,
          `- ${cpuNote('uplink download', down)}`,
        ].join('\n'),
        `Fresh memory: spreading the 256 MiB into pieces and computing their parity (the same engine, 1 MiB of each piece per batch) takes ${fmt(freshMs)} ms of CPU into fresh arrays per batch and ${fmt(reusedMs)} ms into one reused set (least of 3 runs each): the difference is the first touch of fresh pages, which neither the uplink (its chunk pool) nor the floor (two sets of buffers in turn) pays any more.`,
        'See docs/uplink.md, "Where the time goes now", for the per-item accounting and what falls short.',
      ],
    };
  } finally {
    // The network exits by itself once disconnected (writing its profile, when asked for one).
    const exited = new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    child.disconnect();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    child.kill();
  }
}

if (process.env[ROLE] === 'network') await serveNetwork();
else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const section = await benchUplink();
  for (const row of section.rows) console.log(`${row.name}: ${row.value} | ${row.baseline} | ratio ${fmt(row.ratio, 2)} (goal ${row.goal})`);
  for (const note of section.notes ?? []) console.log(note);
}
