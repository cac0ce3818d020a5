/**
 * The rsync plugin through the whole integration module stack (two modules, negotiation, key
 * exchange, forced rrsync, progress polling) against a raw `rsync -a` of the same tree over the
 * same local sshd, in the same run. Goal (issue 6): ≥ 0.9 of the raw throughput.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuthorizedKeysFile } from '../src/transfer/keys/authorized-keys-file.js';
import { TransferKeyring } from '../src/transfer/keys/keyring.js';
import { sshCommandLine } from '../src/transfer/rsync/args.js';
import { rsyncPlugin } from '../src/transfer/rsync/plugin.js';
import { rsyncReceiver } from '../src/transfer/rsync/receiver.js';
import { startSshd, type SshServer } from '../src/testing/sshd.js';
import { fmt, mbps, type BenchSection } from './lib.js';
import { makeTree, runWhenMain, timeModuleTransfer, treeBenchOptions, type TreeBenchOptions } from './transfer-stack.js';

/** The tree and rounds of this bench. */
export type RsyncBenchOptions = TreeBenchOptions;

export async function benchRsync(options: RsyncBenchOptions = {}): Promise<BenchSection> {
  const { totalMiB, files, rounds } = treeBenchOptions(options);
  const sshd = await startSshd();
  const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-rsync-'));
  try {
    const source = join(dir, 'src', 'tree');
    const bytes = makeTree(source, totalMiB, files);
    const raw = await rawSetup(sshd, dir);
    let rawMs = Infinity;
    let pluginMs = Infinity;
    for (let round = 0; round < rounds; round++) {
      rawMs = Math.min(rawMs, await timeRaw(raw, source, join(dir, `raw-${round}`)));
      rmSync(join(dir, `raw-${round}`), { recursive: true, force: true });
      pluginMs = Math.min(pluginMs, await timePlugin(sshd, dir, round, 9000 + round));
      rmSync(join(dir, `dst-${round}`), { recursive: true, force: true });
    }
    const subject = mbps(bytes, pluginMs);
    const baseline = mbps(bytes, rawMs);
    return {
      title: 'Transfers between providers: rsync over SSH',
      rows: [
        {
          name: `${fmt(totalMiB)} MiB in ${files} files through two integration modules and the rsync plugin (local sshd)`,
          value: `${fmt(subject, 1)} MB/s (${fmt(pluginMs / 1000, 2)} s)`,
          baseline: `raw rsync -a over the same sshd: ${fmt(baseline, 1)} MB/s (${fmt(rawMs / 1000, 2)} s)`,
          ratio: subject / baseline,
          goal: '≥ 0.9',
        },
      ],
      notes: [
        `best of ${rounds} runs each, alternating; ${cpus().length} CPUs; the source tree is in the page cache for both sides`,
        'plugin side: accept, key exchange, negotiation, forced rrsync -wo, --partial --delay-updates --no-inc-recursive --info=progress2, progress polled every 100 ms, measured until the module reports SUCCESS',
      ],
    };
  } finally {
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface RawSetup {
  readonly sshCommand: string;
  readonly target: (dir: string) => string;
}

async function rawSetup(sshd: SshServer, dir: string): Promise<RawSetup> {
  const keyring = new TransferKeyring({ dir: join(dir, 'raw-key') });
  const publicKey = await keyring.issue(1);
  // An unrestricted line (no forced command) for the baseline: plain rsync over the same sshd.
  appendFileSync(sshd.authorizedKeysPath, `restrict ${publicKey.split(' ').slice(0, 2).join(' ')} raw-baseline\n`);
  const knownHosts = join(dir, 'raw-known-hosts');
  writeFileSync(knownHosts, `[${sshd.host}]:${sshd.port} ${sshd.hostKey}\n`);
  const endpoint = { host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostKey, remotePath: '.' };
  const sshCommand = sshCommandLine({ sourcePath: '/x', endpoint, privateKeyPath: keyring.privateKeyPath(1), knownHostsPath: knownHosts, verifyChecksums: false });
  return { sshCommand, target: (d) => `${sshd.user}@${sshd.host}:${d}/` };
}

function timeRaw(raw: RawSetup, source: string, destination: string): Promise<number> {
  mkdirSync(destination, { recursive: true });
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile('rsync', ['-a', '-e', raw.sshCommand, source, raw.target(destination)], { maxBuffer: 1 << 20 }, (err, _o, stderr) => {
      if (err) reject(new Error(`raw rsync failed: ${stderr}`));
      else resolve(performance.now() - start);
    });
  });
}

/** One transfer of `<dir>/src/tree` through two modules and the rsync plugin; milliseconds until SUCCESS. */
export async function timePlugin(sshd: SshServer, dir: string, round: number, taskId: number): Promise<number> {
  const destinationRoot = join(dir, `dst-${round}`);
  mkdirSync(join(destinationRoot, 'inbox'), { recursive: true });
  const keyring = new TransferKeyring({ dir: join(dir, `a-keys-${round}`) });
  return timeModuleTransfer({
    dir,
    taskId,
    label: 'plugin',
    plugin: rsyncPlugin({ stateDir: join(dir, `a-state-${round}`), keyring }),
    receiver: rsyncReceiver({
      authorizedKeys: new AuthorizedKeysFile(sshd.authorizedKeysPath),
      ssh: { host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostKey },
      resolveDestination: (p) => join(destinationRoot, p),
      sourceAddresses: () => ['127.0.0.1'],
      rrsync: sshd.rrsync,
    }),
  });
}

runWhenMain('transfer-rsync.ts', benchRsync);
