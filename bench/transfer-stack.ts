/**
 * What the provider-transfer benches share: the tree they send, and one timed transfer through
 * two integration modules (negotiation, key exchange, progress polling) with a given plugin at
 * the source and receiver at the destination.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryCoreLink, MemoryPeerNetwork } from '../src/transfer/integration/memory.js';
import { ProviderIntegration } from '../src/transfer/integration/provider-integration.js';
import { SqliteIntegrationStore } from '../src/transfer/integration/sqlite-store.js';
import type { FileTransferPlugin, FileTransferReceiver } from '../src/transfer/plugin.js';
import type { BenchSection } from './lib.js';

/** The size of the tree a provider-transfer bench sends, and how often. */
export interface TreeBenchOptions {
  /** Total size of the tree (default 1024 MiB). */
  readonly totalMiB?: number;
  /** Number of equal files (default 256). */
  readonly files?: number;
  /** Runs of each side; the best counts (default 2). */
  readonly rounds?: number;
}

/** {@link TreeBenchOptions} with the defaults filled in. */
export function treeBenchOptions(options: TreeBenchOptions): Required<TreeBenchOptions> {
  return { totalMiB: options.totalMiB ?? 1024, files: options.files ?? 256, rounds: options.rounds ?? 2 };
}

/** `files` equal random files, 16 folders, `totalMiB` in all; returns the bytes written. */
export function makeTree(root: string, totalMiB: number, files: number): number {
  mkdirSync(root, { recursive: true });
  const size = Math.floor((totalMiB * 1024 * 1024) / files);
  for (let i = 0; i < files; i++) {
    // Random content: rsync sends it as is (no compression), like real research data would be.
    const sub = join(root, `d${i % 16}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(size));
  }
  return size * files;
}

/** One side of a timed transfer between the two modules. */
export interface ModuleTransfer {
  /** `<dir>/src` holds the tree, sent as `/tree` into the destination's `/inbox`. */
  readonly dir: string;
  readonly taskId: number;
  /** The source module's plugin. */
  readonly plugin: FileTransferPlugin;
  /** The destination module's receiver. */
  readonly receiver: FileTransferReceiver;
  /** Names the plugin in the error of a transfer that did not succeed. */
  readonly label: string;
}

/** Sends `<dir>/src/tree` from module a to module b; milliseconds from accept to SUCCESS. */
export async function timeModuleTransfer({ dir, taskId, plugin, receiver, label }: ModuleTransfer): Promise<number> {
  const network = new MemoryPeerNetwork();
  const storeA = SqliteIntegrationStore.open({ path: ':memory:' });
  const storeB = SqliteIntegrationStore.open({ path: ':memory:' });
  const a = await ProviderIntegration.open({
    providerId: 'a',
    store: storeA,
    core: new MemoryCoreLink(),
    peers: network.linkFor('a'),
    plugin,
    resolveSource: (p) => join(dir, 'src', p),
    pollIntervalMs: 100,
  });
  const b = await ProviderIntegration.open({ providerId: 'b', store: storeB, core: new MemoryCoreLink(), peers: network.linkFor('b'), receiver });
  network.register('a', a);
  network.register('b', b);
  try {
    const start = performance.now();
    await a.acceptTransfers([{ taskId, sourcePath: '/tree', destinationPath: '/inbox', destinationProvider: 'b' }]);
    const publicKey = await a.issueTransferKey(taskId);
    await b.authorizeTransferKey({ taskId, publicKey, sourceProvider: 'a', destinationPath: '/inbox' });
    for (;;) {
      const state = a.getTask(taskId)?.state;
      if (state === 'SUCCESS') break;
      if (state === 'FAILURE' || state === 'HALTED') throw new Error(`${label} transfer ended ${state}: ${a.getTask(taskId)?.status}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return performance.now() - start;
  } finally {
    await a.close();
    await b.close();
    storeA.close();
    storeB.close();
  }
}

/** `tsx bench/<file>.ts [MiB]`: runs one section alone and prints it, when `file` is the script run. */
export function runWhenMain(file: string, bench: (options: TreeBenchOptions) => Promise<BenchSection>): void {
  if (!process.argv[1]?.endsWith(file)) return;
  bench({ totalMiB: Number(process.argv[2] ?? 1024) }).then(
    (section) => console.log(JSON.stringify(section, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
