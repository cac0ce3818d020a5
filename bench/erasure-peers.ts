/**
 * The peers `npm run bench erasure` measures parity encoding against, each only where its
 * toolchain is on the machine (benches do not run in CI; a missing peer is a row that says why):
 *
 * - klauspost/reedsolomon (Go, AVX2/AVX-512 assembly): bench/peers/klauspost.go, built here in
 *   GOPATH mode against Debian's golang-github-klauspost-reedsolomon-dev (`apt-get install
 *   golang-go golang-github-klauspost-reedsolomon-dev`), run on one goroutine.
 * - @ronomon/reed-solomon (native C addon, Cauchy bit-matrix XOR): not a dependency of the
 *   project; install and build it outside the repository and point HANDOFF_BENCH_RONOMON_DIR at
 *   the folder holding its `node_modules` (see bench/results.md for the two commands).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One parity-encoding shape: `k` data shards of `shard` bytes, `n − k` parity shards. */
export interface Shape {
  readonly k: number;
  readonly n: number;
  readonly shard: number;
  /** Data bytes to encode per timed round. */
  readonly bytes: number;
}

/** MB/s of data bytes per second of wall time and per second of the process's CPU time (user + system). */
export interface Rates {
  readonly wall: number;
  readonly cpu: number;
}

/** A peer that can encode a shape (undefined for shapes it does not support), or why it is missing. */
export type Peer = { readonly encode: (shape: Shape) => Promise<Rates | undefined>; readonly close: () => void } | { readonly missing: string };

/** Best wall and CPU rates of `run` over three rounds after a warm-up, counting `bytes` per round. */
export async function bestRates(bytes: number, run: () => unknown): Promise<Rates> {
  let wall = 0;
  let cpu = 0;
  for (let round = 0; round < 4; round++) {
    const startCpu = process.cpuUsage();
    const start = performance.now();
    await run();
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(startCpu);
    if (round === 0) continue;
    wall = Math.max(wall, bytes / seconds / 1e6);
    cpu = Math.max(cpu, bytes / ((used.user + used.system) / 1e6) / 1e6);
  }
  return { wall, cpu };
}

export const label = (shape: Shape): string => `${shape.k}/${shape.n}`;

const GOPATH = '/usr/share/gocode';
const KLAUSPOST = path.join(GOPATH, 'src/github.com/klauspost/reedsolomon');

/** Builds bench/peers/klauspost.go; each encode runs it on one shape (best of three rounds, one goroutine). */
export async function klauspost(): Promise<Peer> {
  const go = ['/usr/bin/go', '/usr/local/go/bin/go'].find((candidate) => existsSync(candidate));
  if (go === undefined) return { missing: 'no Go toolchain (apt-get install golang-go)' };
  if (!existsSync(KLAUSPOST)) return { missing: `no ${KLAUSPOST} (apt-get install golang-github-klauspost-reedsolomon-dev)` };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handoff-klauspost-'));
  const close = () => rmSync(dir, { recursive: true, force: true });
  const binary = path.join(dir, 'klauspost');
  const source = fileURLToPath(new URL('./peers/klauspost.go', import.meta.url));
  // GOPATH mode: Debian installs Go packages as a GOPATH tree, not as modules.
  const env = { ...process.env, GOPATH: `${GOPATH}:${dir}`, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: path.join(dir, 'cache') };
  try {
    await run(go, ['build', '-o', binary, source], { env });
  } catch (error) {
    close();
    return { missing: `go build failed: ${String((error as { stderr?: string }).stderr ?? error).trim().split('\n')[0]}` };
  }
  return {
    close,
    encode: async (shape) => {
      const { stdout } = await run(binary, [`${label(shape)}:${shape.shard}:${shape.bytes}`], { env });
      const [, wall, cpu] = stdout.trim().split(' ');
      return { wall: Number(wall), cpu: Number(cpu) };
    },
  };
}

interface Ronomon {
  readonly MAX_K: number;
  readonly MAX_M: number;
  create(k: number, m: number): unknown;
  encode(context: unknown, sources: number, targets: number, buffer: Buffer, bufferOffset: number, bufferSize: number, parity: Buffer, parityOffset: number, paritySize: number, callback: (error?: Error) => void): void;
}

/** The addon from HANDOFF_BENCH_RONOMON_DIR, or why it cannot be loaded. */
function loadRonomon(): Ronomon | string {
  const dir = process.env['HANDOFF_BENCH_RONOMON_DIR'];
  if (dir === undefined || dir === '') return 'HANDOFF_BENCH_RONOMON_DIR is not set (the addon is not a project dependency; see the notes)';
  try {
    return createRequire(path.join(path.resolve(dir), 'noop.js'))('@ronomon/reed-solomon') as Ronomon;
  } catch (error) {
    return `cannot load @ronomon/reed-solomon from ${dir}: ${(error as Error).message.split('\n')[0]}`;
  }
}

/**
 * @ronomon/reed-solomon's encode, one call at a time (it runs on libuv's thread pool; awaiting
 * each call keeps it to one core like the others). Best of three rounds after a warm-up;
 * undefined for shapes beyond its limits (k ≤ 24, n − k ≤ 6).
 */
export function ronomon(): Peer {
  const addon = loadRonomon();
  if (typeof addon === 'string') return { missing: addon };
  return {
    close: () => undefined,
    encode: async ({ k, n, shard, bytes }) => {
      const m = n - k;
      if (k > addon.MAX_K || m > addon.MAX_M) return undefined;
      const context = addon.create(k, m);
      const data = Buffer.alloc(k * shard);
      for (let i = 0; i < data.length; i++) data[i] = Math.imul(i, 2654435761) >>> 24;
      const parity = Buffer.alloc(m * shard);
      const sources = (1 << k) - 1;
      const targets = ((1 << n) - 1) & ~sources;
      const encode = () =>
        new Promise<void>((resolve, reject) =>
          addon.encode(context, sources, targets, data, 0, data.length, parity, 0, parity.length, (error) => (error ? reject(error) : resolve())),
        );
      const calls = Math.max(1, Math.floor(bytes / data.length));
      return bestRates(calls * data.length, async () => {
        for (let c = 0; c < calls; c++) await encode();
      });
    },
  };
}
