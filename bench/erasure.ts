/**
 * Erasure coding speed: parity encoding against klauspost/reedsolomon and @ronomon/reed-solomon
 * (issue 17's goals, peers in erasure-peers.ts), then encode and decode MB/s (segment bytes per
 * second) for the dev scheme (4/6/8/10) and the production one (29/35/80/110) against copying
 * the same bytes with `Uint8Array.set` in the same run.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import type { RedundancyScheme } from '../src/metainfo/metabase/types.js';
import { ErasureEngine } from '../src/uplink/erasure/engine.js';
import { createErasureCoder, type ErasureCoder } from '../src/uplink/erasure/index.js';
import { applyMatrixPortable, type MatrixKernel } from '../src/uplink/erasure/kernel-portable.js';
import { blockBytes, createSimdKernel, createSimdKernelCore } from '../src/uplink/erasure/kernel-simd.js';
import { applyMatrix, kernelName } from '../src/uplink/erasure/kernel.js';
import { systematicGenerator } from '../src/uplink/erasure/matrix.js';
import { loadNativeErasure, useBuiltinErasure, useNativeErasure } from '../src/uplink/native.js';
import { bestRates, klauspost, label, ronomon, type Peer, type Rates, type Shape } from './erasure-peers.js';
import { type BenchRow, type BenchSection, fmt, mbps } from './lib.js';

const MiB = 1024 * 1024;
/** Each figure is the best of this many timed runs, after one warm-up run. */
const ROUNDS = 3;

interface SchemeCase {
  readonly label: string;
  readonly scheme: RedundancyScheme;
  /** Segment bytes coded per run; smaller for the wide scheme, whose encode is ~14× the work. */
  readonly bytes: number;
}

const cases: SchemeCase[] = [
  { label: '4/10', scheme: { algorithm: 'reed-solomon', shareSize: 256, required: 4, repair: 6, success: 8, total: 10 }, bytes: 64 * MiB },
  { label: '29/110', scheme: { algorithm: 'reed-solomon', shareSize: 256, required: 29, repair: 35, success: 80, total: 110 }, bytes: 8 * MiB },
];

/** Best MB/s of `run` over {@link ROUNDS} runs, counting `bytes` per run. */
async function bestMbps(bytes: number, run: () => unknown): Promise<number> {
  await run();
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await run();
    best = Math.max(best, mbps(bytes, performance.now() - start));
  }
  return best;
}

function randomSegment(bytes: number): Uint8Array {
  const segment = new Uint8Array(bytes);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    segment[i] = x;
  }
  return segment;
}

function survivors(pieces: Uint8Array[], numbers: number[]): Map<number, Uint8Array> {
  return new Map(numbers.map((n) => [n, pieces[n]!]));
}

async function streamEncode(coder: ErasureCoder, segment: Uint8Array): Promise<void> {
  const reads = (function* () {
    for (let at = 0; at < segment.length; at += 64 * 1024) yield segment.subarray(at, at + 64 * 1024);
  })();
  for await (const batch of coder.encodeStream(reads)) void batch;
}

/** About 1 MiB of data per encode call, split into `k` shards (whole 256-byte shares). */
const peerShapes: Shape[] = [
  { k: 4, n: 10, bytes: 64 * MiB },
  { k: 24, n: 30, bytes: 64 * MiB },
  { k: 29, n: 110, bytes: 16 * MiB },
].map((shape) => ({ ...shape, shard: Math.floor(MiB / shape.k / 256) * 256 }));

/**
 * Our parity encode as the coder runs it (ErasureEngine.encodeParity: data shards in, parity
 * written into arrays allocated once), the same shapes and bytes as the peers.
 */
async function ourParity(shape: Shape, kernel?: MatrixKernel): Promise<Rates> {
  const { k, n, shard, bytes } = shape;
  const engine = new ErasureEngine(k, n, 256);
  const matrix = systematicGenerator(k, n).data.subarray(k * k);
  const segment = randomSegment(k * shard);
  const data = Array.from({ length: k }, (_, i) => new Int32Array(segment.buffer, i * shard, shard / 4));
  const parity = Array.from({ length: n - k }, () => new Int32Array(shard / 4));
  const calls = Math.max(1, Math.floor(bytes / (k * shard)));
  return bestRates(calls * k * shard, () => {
    for (let c = 0; c < calls; c++) {
      if (kernel === undefined) engine.encodeParity(data, parity, 0, shard / 4);
      else kernel(matrix, data, parity, 0, shard / 4);
    }
  });
}

/**
 * The multiply alone, as if batches lived in the kernel's memory: the same shapes and bytes as
 * {@link ourParity}, the data written into WebAssembly memory once, then parity computed there
 * block by block as the kernel does (the same block size), with no copy in or out. The gap to
 * {@link ourParity} is what the copies cost; standard SIMD, the flavour Node 20 runs.
 */
async function ourParityInMemory(shape: Shape): Promise<Rates> {
  const { k, n, shard, bytes } = shape;
  const core = createSimdKernelCore(false)!;
  const inputsAt = core.tablesSize(k, n - k);
  const outputsAt = inputsAt + k * shard;
  core.reserve(outputsAt + (n - k) * shard);
  core.prepare(systematicGenerator(k, n).data.subarray(k * k), k, n - k);
  new Uint8Array(core.memory.buffer, inputsAt, k * shard).set(randomSegment(k * shard));
  const block = blockBytes(k, n - k);
  const calls = Math.max(1, Math.floor(bytes / (k * shard)));
  return bestRates(calls * k * shard, () => {
    for (let c = 0; c < calls; c++) {
      for (let at = 0; at < shard; at += block) core.multiply(inputsAt + at, outputsAt + at, shard, Math.min(block, shard - at));
    }
  });
}

/**
 * The kernel on relaxed SIMD, which Node 22+ and current browsers run by default; Node 20 has it
 * behind a flag, turned on here for this row only (the coder above was built without it).
 */
function relaxedKernel(): MatrixKernel | undefined {
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return createSimdKernel(true);
}

/** {@link ourParity} with the native kernel installed in every engine (`handoff/uplink/native`), as a Node host would run it. */
async function ourParityNative(shape: Shape): Promise<Rates> {
  useNativeErasure();
  try {
    return await ourParity(shape);
  } finally {
    useBuiltinErasure();
  }
}

/** Rounds of every measure of a shape, alternating, so load from elsewhere hits all alike; the best counts. */
const PEER_ROUNDS = 3;

async function peerRows(rows: BenchRow[], notes: string[]): Promise<void> {
  const load = os.loadavg()[0]!;
  const peers: [string, string, Peer][] = [
    ['klauspost/reedsolomon 1.9.13 (Go, one goroutine, AVX-512)', '≥ 0.5', await klauspost()],
    ['@ronomon/reed-solomon 6.0.0 (C addon, one call at a time)', '≥ 1.2', ronomon()],
  ];
  const relaxed = relaxedKernel();
  const native = loadNativeErasure();
  if ('missing' in native) notes.push(`No native-kernel rows: ${native.missing}.`);
  try {
    for (const shape of peerShapes) {
      const best = (a: Rates | undefined, b: Rates) => ({ wall: Math.max(a?.wall ?? 0, b.wall), cpu: Math.max(a?.cpu ?? 0, b.cpu) });
      const flavours: [string, () => Promise<Rates>][] = [['', () => ourParity(shape)]];
      if (relaxed !== undefined) flavours.push([' (relaxed SIMD: Node ≥ 22, browsers)', () => ourParity(shape, relaxed)]);
      if ('path' in native) flavours.push([` (native kernel, ${native.path}: handoff/uplink/native, Node)`, () => ourParityNative(shape)]);
      flavours.push([', multiply alone in WebAssembly memory (no copies; not the measure)', () => ourParityInMemory(shape)]);
      const ours: (Rates | undefined)[] = flavours.map(() => undefined);
      // undefined: not measured yet; null: the peer does not support the shape.
      const theirs: (Rates | undefined | null)[] = peers.map(() => undefined);
      for (let round = 0; round < PEER_ROUNDS; round++) {
        for (const [i, [, measure]] of flavours.entries()) ours[i] = best(ours[i], await measure());
        for (const [i, [, , peer]] of peers.entries()) {
          if (!('encode' in peer) || theirs[i] === null) continue;
          const value = await peer.encode(shape);
          theirs[i] = value === undefined ? null : best(theirs[i] ?? undefined, value);
        }
      }
      flavours.forEach(([flavour], f) => {
        const value = ours[f]!;
        const informative = flavour.includes('not the measure');
        peers.forEach(([name, goal, peer], i) => {
          const them = theirs[i];
          if (!('encode' in peer) || them === null || them === undefined) return;
          rows.push({
            name: `${label(shape)}: parity encode${flavour}, ${k1(shape)}`,
            value: `${fmt(value.wall)} MB/s (${fmt(value.cpu)} per CPU-s)`,
            baseline: `${name} ${fmt(them.wall)} MB/s (${fmt(them.cpu)} per CPU-s; CPU ratio ${fmt(value.cpu / them.cpu, 2)})`,
            ratio: value.wall / them.wall,
            goal: informative ? '' : goal,
          });
        });
      });
      peers.forEach(([name, , peer], i) => {
        if ('encode' in peer && theirs[i] === null) notes.push(`${name} does not support ${label(shape)} (at most 24 data and 6 parity shards).`);
      });
    }
  } finally {
    for (const [, , peer] of peers) if ('close' in peer) peer.close();
  }
  for (const [name, , peer] of peers) if ('missing' in peer) notes.push(`No ${name} rows: ${peer.missing}.`);
  notes.push(
    '@ronomon/reed-solomon is not a project dependency. It builds here offline against the Node headers in /usr/include/node: `npm install @ronomon/reed-solomon` in a folder outside the repository (npm skips its node-gyp install script), then `node /usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js rebuild --nodedir=/usr` in its package folder, and `HANDOFF_BENCH_RONOMON_DIR=<that folder> npm run bench erasure`.',
  );
  notes.push(
    'The rows "multiply alone in WebAssembly memory" are not the measure and carry no goal: they run the same standard-SIMD kernel on data already in its memory (written there once), block by block as the kernel works, with nothing copied in or out, to show how much of the gap the copies account for and what is left of it if batches lived in WebAssembly memory.',
  );
  notes.push(
    `Parity encode: MB/s counts data bytes (k shards) per second of wall time, and per second of the process's CPU time (user + system, all threads: ronomon encodes on libuv's pool), which other work on the machine disturbs less; the ratio column is the wall-time ratio. Each side encodes the same shapes and bytes, best of 3 rounds after a warm-up, and the three alternate ${PEER_ROUNDS} times per shape (best counts). Ours is ErasureEngine.encodeParity (WebAssembly SIMD kernel; data copied into and parity out of its memory) into parity arrays allocated once; the relaxed-SIMD row runs the same kernel with i8x16.relaxed_swizzle (Node 20 has it behind --experimental-wasm-relaxed-simd, turned on for that row); the native-kernel row runs the same engine call with the GFNI kernel of handoff/uplink/native installed (native/erasure, built by npm run build:native), which multiplies the shards in place. Load average ${fmt(load, 2)} before, ${fmt(os.loadavg()[0]!, 2)} after; ${os.cpus()[0]?.model ?? 'cpu'}.`,
  );
}

const k1 = (shape: Shape) => `${shape.k} × ${fmt(shape.shard)} B shards`;

export async function benchErasure(): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  await peerRows(rows, notes);
  for (const { label, scheme, bytes } of cases) {
    const coder = createErasureCoder(scheme);
    const segment = randomSegment(bytes);
    const copy = new Uint8Array(bytes);
    const memcpy = await bestMbps(bytes, () => copy.set(segment));
    const baseline = `memcpy (Uint8Array.set) ${fmt(memcpy)} MB/s`;
    const row = (name: string, value: number) => rows.push({ name: `${label}: ${name}`, value: `${fmt(value)} MB/s`, baseline, ratio: value / memcpy, goal: '' });

    const pieces = coder.encodeSegment(segment);
    const { required: k, total: n } = scheme;
    const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
    row('encode', await bestMbps(bytes, () => coder.encodeSegment(segment)));
    row('encode, streamed in 64 KiB reads', await bestMbps(bytes, () => streamEncode(coder, segment)));
    row('decode, all data pieces present', await bestMbps(bytes, () => coder.decodeSegment(survivors(pieces, range(0, k)), bytes)));
    row('decode, one data piece lost', await bestMbps(bytes, () => coder.decodeSegment(survivors(pieces, range(1, k)), bytes)));
    row('decode, every data piece lost', await bestMbps(bytes, () => coder.decodeSegment(survivors(pieces, range(k, k)), bytes)));
    row(`decode + verify against ${Math.min(2, n - k)} extra pieces`, await bestMbps(bytes, () => coder.decodeSegment(survivors(pieces, range(0, Math.min(n, k + 2))), bytes, { verify: true })));
    // The kernel alone: the parity of one 128 KiB batch of stripes, as an encode does it.
    const kernel = (apply: MatrixKernel) => {
      const words = (128 * 1024) / k / 4;
      const inputs = range(0, k).map((i) => new Int32Array(pieces[i]!.buffer, 0, words));
      const outputs = range(0, n - k).map(() => new Int32Array(words));
      const matrix = Uint8Array.from({ length: (n - k) * k }, (_, i) => (i * 37 + 2) & 255);
      return () => {
        for (let round = 0; round < bytes / (128 * 1024); round++) apply(matrix, inputs, outputs, 0, words);
      };
    };
    const portable = await bestMbps(bytes, kernel(applyMatrixPortable));
    const chosen = await bestMbps(bytes, kernel(applyMatrix));
    rows.push({ name: `${label}: parity kernel alone, ${kernelName}`, value: `${fmt(chosen)} MB/s`, baseline: `portable TypeScript kernel ${fmt(portable)} MB/s`, ratio: chosen / portable, goal: '' });
    notes.push(`${label}: ${fmt(bytes / MiB)} MiB of segment bytes per run (${fmt(bytes / coder.stripeSize)} stripes), ${n} pieces of ${fmt(coder.pieceSize(bytes))} bytes; MB/s counts segment bytes.`);
  }
  notes.push('Whole-segment encode includes allocating and first touching n fresh pieces (160 MiB for 4/10, about 100 ms here); the streamed encode works in batches of 256 KiB of segment, with fresh arrays for the n chunks of each batch (an upload does the same with 1 MiB chunks: the chunks must stay valid until every node has been sent its own).');
  notes.push(`Best of ${ROUNDS} runs each. The coder uses the ${kernelName} kernel (WebAssembly SIMD nibble tables where available, else 32-bit words with per-lane tables); the machine is shared, so figures vary between runs.`);
  return { title: 'Erasure coding (Reed–Solomon, GF(2^8))', rows, notes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await benchErasure();
  for (const r of section.rows) console.log(`${r.name.padEnd(52)} ${r.value.padStart(14)}   ratio ${fmt(r.ratio, 4)}   (${r.baseline})`);
  for (const note of section.notes ?? []) console.log(note);
}
