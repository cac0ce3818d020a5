/**
 * The built-in plugin against the rsync plugin on the same tree in the same run: each through
 * the whole integration module stack (two modules, key exchange, negotiation, progress polling),
 * the built-in one pushing over handoff's RPC on loopback TCP with SHA-256 verification and an
 * fsync per file, rsync over a local sshd with a forced rrsync. Raw `rsync -a` over the same sshd
 * is shown as the floor both are judged by.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd } from '../src/testing/sshd.js';
import { tcpTransport } from '../src/transport/tcp.js';
import { builtinPlugin } from '../src/transfer/builtin/plugin.js';
import { BUILTIN_PLUGIN_TYPE } from '../src/transfer/builtin/plugin.js';
import type { FileTransferReceiver } from '../src/transfer/plugin.js';
import { fmt, mbps, type BenchSection } from './lib.js';
import { timePlugin } from './transfer-rsync.js';
import { makeTree, runWhenMain, timeModuleTransfer, treeBenchOptions, type TreeBenchOptions } from './transfer-stack.js';

/** The tree and rounds of this bench. */
export type BuiltinBenchOptions = TreeBenchOptions;

export async function benchBuiltinTransfer(options: BuiltinBenchOptions = {}): Promise<BenchSection> {
  const { totalMiB, files, rounds } = treeBenchOptions(options);
  const sshd = await startSshd();
  const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-builtin-'));
  const loadBefore = loadavg()[0]!;
  try {
    const bytes = makeTree(join(dir, 'src', 'tree'), totalMiB, files);
    let rsyncMs = Infinity;
    let builtinMs = Infinity;
    for (let round = 0; round < rounds; round++) {
      rsyncMs = Math.min(rsyncMs, await timePlugin(sshd, dir, round, 9000 + round));
      rmSync(join(dir, `dst-${round}`), { recursive: true, force: true });
      builtinMs = Math.min(builtinMs, await timeBuiltin(dir, round, 9100 + round));
      rmSync(join(dir, `builtin-dst-${round}`), { recursive: true, force: true });
    }
    const subject = mbps(bytes, builtinMs);
    const baseline = mbps(bytes, rsyncMs);
    return {
      title: 'Transfers between providers: the built-in plugin',
      rows: [
        {
          name: `${fmt(totalMiB)} MiB in ${files} files through two integration modules and the built-in plugin (loopback TCP)`,
          value: `${fmt(subject, 1)} MB/s (${fmt(builtinMs / 1000, 2)} s)`,
          baseline: `the rsync plugin, same tree, same stack, local sshd: ${fmt(baseline, 1)} MB/s (${fmt(rsyncMs / 1000, 2)} s)`,
          ratio: subject / baseline,
          goal: '≥ 0.9',
        },
      ],
      notes: [
        `best of ${rounds} runs each, alternating; ${cpus().length} CPUs; load average ${fmt(loadBefore, 2)} before, ${fmt(loadavg()[0]!, 2)} after (the machine is shared); the source tree is in the page cache for both sides`,
        "built-in side: the destination's receiver in a process of its own, as at another provider (rsync's sender, ssh, sshd and receiver are four processes); 1 MiB messages on one RPC stream per run, SHA-256 of every file at both ends, each file fsynced before its rename and its folder fsynced after; rsync side: --partial --delay-updates, no fsync",
      ],
    };
  } finally {
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The destination's receiver in a process of its own (its hashing and writing off the source's
 * event loop, as at another provider; rsync's sender and receiver are processes of their own
 * too), and a stand-in that forwards the module's calls to it.
 */
async function receiverProcess(stateDir: string, destinationRoot: string): Promise<{ receiver: FileTransferReceiver; close(): Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./transfer-builtin-receiver.ts', import.meta.url)), [stateDir, destinationRoot], { execArgv: ['--import', 'tsx'] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    waiting.set(0, { resolve: () => resolve(), reject });
    child.once('exit', (code) => reject(new Error(`the receiver process exited (${code}) before it was ready`)));
  });
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.result);
  });
  await ready;
  const call = (method: string, ...args: unknown[]): Promise<never> =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, method, args });
    });
  return {
    receiver: {
      type: BUILTIN_PLUGIN_TYPE,
      authorizeTransferKey: (grant) => call('authorizeTransferKey', grant),
      prepare: (request) => call('prepare', request),
      release: (taskId, outcome, target) => call('release', taskId, outcome, target),
    },
    async close() {
      await call('close').catch(() => undefined);
      await exited;
    },
  };
}

async function timeBuiltin(dir: string, round: number, taskId: number): Promise<number> {
  const destinationRoot = join(dir, `builtin-dst-${round}`);
  mkdirSync(join(destinationRoot, 'inbox'), { recursive: true });
  const receiver = await receiverProcess(join(dir, `builtin-b-${round}`), destinationRoot);
  try {
    return await timeModuleTransfer({
      dir,
      taskId,
      label: 'built-in',
      plugin: builtinPlugin({ stateDir: join(dir, `builtin-a-${round}`), transport: tcpTransport() }),
      receiver: receiver.receiver,
    });
  } finally {
    await receiver.close();
  }
}

runWhenMain('transfer-builtin.ts', benchBuiltinTransfer);
