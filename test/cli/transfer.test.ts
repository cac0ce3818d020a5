/**
 * Transfers between providers as people run them from a terminal, every party a process of its
 * own: `handoff core run`, two `handoff provider run`s (the built-in plugin, nothing outside the
 * package), then `handoff transfer`, `handoff tasks`, `handoff task pause|resume|cancel` and
 * `handoff tasks --watch` until the task has finished — and the files compared byte for byte.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, sshUnavailableReason, type SshServer } from '../../src/testing/sshd.js';
import { describeWith } from '../support/env.js';
import { CLI_CWD, cliArgv } from './support/cli.js';
import { CliProcess } from './support/procs.js';
import { digestTree, transferWorld, type TransferWorld } from './support/transfer-world.js';

const WAIT_MS = 60_000;
const hasScript = spawnSync('script', ['--version']).status === 0;

/** A CLI process in its own process group, its output kept. */
class Proc {
  output = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, cliArgv(args), { cwd: CLI_CWD, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    procs.push(this);
    const keep = (chunk: Buffer): void => void (this.output += chunk.toString());
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp, ms = WAIT_MS): Promise<RegExpMatchArray> {
    const until = Date.now() + ms;
    for (;;) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (this.child.exitCode !== null) throw new Error(`ended before printing ${pattern}:\n${this.output}`);
      if (Date.now() > until) throw new Error(`no ${pattern} within ${ms / 1000} s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // Already gone.
    }
  }
}

const procs: Proc[] = [];

function makeTree(dir: string, largeMiB: number): void {
  mkdirSync(join(dir, 'raw'), { recursive: true });
  writeFileSync(join(dir, 'raw', 'scan.bin'), randomBytes(largeMiB * 1024 * 1024));
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, `note-${i}.txt`), `note ${i}\n`.repeat(100 * (i + 1)));
}

describe('transfers from the command line', () => {
  let root: string;
  let env: Record<string, string>;
  let core: Proc;
  let providers: Proc[];
  let files: TransferWorld['files'];

  /** Runs a client command to its end. */
  async function run(args: string[]): Promise<{ code: number | null; output: string }> {
    const proc = new Proc(args, env);
    const code = await proc.exited;
    return { code, output: proc.output };
  }

  async function taskJson(id: number): Promise<{ state: string; progress: number }> {
    const { code, output } = await run(['tasks', '--json']);
    expect(code, output).toBe(0);
    const task = output.trim().split('\n').map((l) => JSON.parse(l) as { id: number; state: string; progress: number }).find((t) => t.id === id);
    if (!task) throw new Error(`task ${id} not listed:\n${output}`);
    return task;
  }

  async function until(id: number, ok: (t: { state: string; progress: number }) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    let last: unknown;
    while (Date.now() < deadline) {
      const task = await taskJson(id);
      if (ok(task)) return;
      last = task;
    }
    throw new Error(`task ${id} never reached ${what}; last ${JSON.stringify(last)}`);
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'handoff-cli-transfer-'));
    const world = await transferWorld(root);
    env = world.env;
    files = world.files;

    core = new Proc(world.coreArgs(), env);
    providers = (['hippo', 'aau'] as const).map((p) => new Proc(world.providerArgs(p, ['--bandwidth-limit', '1024']), env));
    await core.waitFor(/transfer core \S+@\S+ is serving 2 provider\(s\) and 1 user\(s\) \(store: sqlite\)/);
    for (const p of providers) await p.waitFor(/provider \w+ \S+@\S+ is serving files under .* with the builtin plugin/);
  }, 120_000);

  afterAll(async () => {
    for (const proc of procs) proc.kill();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('transfers a folder, pauses and resumes it, and watches it to the end', async () => {
    makeTree(join(files.hippo, '4123', 'results'), 24);

    // What the console's dialog browses, from the command line.
    const drives = await run(['files', 'ls']);
    expect(drives.code, drives.output).toBe(0);
    expect(drives.output).toMatch(/^\/4123 +hippo +read\b/m);
    expect(drives.output).toMatch(/^\/5243 +aau +(read\+)?edit\b/m);
    const folder = await run(['files', 'ls', '/4123']);
    expect(folder.code, folder.output).toBe(0);
    expect(folder.output).toMatch(/^results\/ +folder /m);

    const submitted = await run(['transfer', '/4123/results', '/9999/nowhere', '/4123/absent', '/5243/inbox']);
    expect(submitted.code, submitted.output).toBe(1); // two of the three sources were refused
    const id = Number(/task (\d+) {2}\/4123\/results → \/5243\/inbox/.exec(submitted.output)?.[1]);
    expect(id).toBeGreaterThan(0);
    expect(submitted.output).toMatch(/refused {2}\/9999\/nowhere: .*drive/);
    // core run asks the provider (FilesProvider.Stat): a missing source is refused at submission.
    expect(submitted.output).toMatch(/refused {2}\/4123\/absent: the source "\/4123\/absent" does not exist/);

    await until(id, (t) => t.state === 'RUNNING' && t.progress > 0, 'progress');
    const paused = await run(['task', 'pause', String(id)]);
    expect(paused.code, paused.output).toBe(0);
    expect(paused.output).toMatch(new RegExp(`task ${id} is (RUNNING|PAUSED)`));
    await until(id, (t) => t.state === 'PAUSED', 'PAUSED');
    const listed = await run(['tasks', '--state', 'paused']);
    expect(listed.output).toMatch(new RegExp(`^${id} +PAUSED +\\d+\\.\\d % +hippo:/4123/results → aau:/5243/inbox`, 'm'));
    // Nothing half-sent under a final name while paused.
    expect(existsSync(join(files.aau, '5243', 'inbox', 'results', 'raw', 'scan.bin'))).toBe(false);

    expect((await run(['task', 'resume', String(id)])).code).toBe(0);
    const watch = await run(['tasks', '--watch', '--interval', '200ms']);
    expect(watch.code, watch.output).toBe(0);
    expect(watch.output).toMatch(new RegExp(`task ${id} +SUCCESS +100\\.0 %`));
    expect(digestTree(join(files.aau, '5243', 'inbox', 'results'))).toEqual(digestTree(join(files.hippo, '4123', 'results')));
  }, 180_000);

  it('cancels a transfer: HALTED, and no half file left at the destination', async () => {
    makeTree(join(files.hippo, '4123', 'second'), 24);
    const submitted = await run(['transfer', '--json', '/4123/second', '/5243/inbox']);
    expect(submitted.code, submitted.output).toBe(0);
    const { taskId } = JSON.parse(submitted.output.trim()) as { taskId: number };

    await until(taskId, (t) => t.state === 'RUNNING' && t.progress > 0, 'progress');
    const canceled = await run(['task', 'cancel', String(taskId)]);
    expect(canceled.output).toMatch(new RegExp(`task ${taskId} is HALTED at .*: canceled by the user`));
    const watch = await run(['tasks', '--watch', '--state', 'halted', '--interval', '200ms']);
    expect(watch.code, watch.output).toBe(1); // a halted task is not a success
    if (hasScript) {
      // The same at a terminal: a live bar per task (cli-progress), the cursor shown again at the end.
      const live = new CliProcess(['tasks', '--watch', '--state', 'halted', '--interval', '200ms'], env, true);
      expect(await live.exited, live.output).toBe(1);
      expect(live.output).toMatch(new RegExp(`task ${taskId} \\S+ → \\S+ \\S+ HALTED`));
      expect(live.output).toContain('\x1b[?25l');
      expect(live.output.lastIndexOf('\x1b[?25h')).toBeGreaterThan(live.output.lastIndexOf('\x1b[?25l'));
    }
    const recent = await run(['tasks', '--since', '1h', '--state', 'halted', '--json']);
    expect(recent.output.trim().split('\n').map((l) => (JSON.parse(l) as { id: number; state: string }).id)).toEqual([taskId]);
    const left = Object.keys(digestTree(join(files.aau, '5243', 'inbox', 'second')));
    expect(left.filter((p) => p.endsWith('.part'))).toEqual([]);
    expect(left).not.toContain('raw/scan.bin');
  }, 120_000);

  it('stops the core and the providers cleanly on SIGTERM', async () => {
    for (const proc of [...providers, core]) proc.kill('SIGTERM');
    for (const proc of [...providers, core]) expect(await proc.exited).toBe(0);
    expect(core.output).toMatch(/transfer core stopped/);
    for (const p of providers) expect(p.output).toMatch(/provider stopped/);
  }, 60_000);
});

describeWith('sshd, rsync and rrsync', sshUnavailableReason(), 'transfers from the command line with the rsync plugin', () => {
  let root: string;
  let sshd: SshServer;
  let env: Record<string, string>;
  const started: Proc[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'handoff-cli-rsync-'));
    sshd = await startSshd();
  });
  afterAll(async () => {
    for (const proc of started) proc.kill();
    await sshd?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('provider run --plugin rsync takes its sshd from options and moves a folder byte for byte', async () => {
    const world = await transferWorld(root);
    env = world.env;
    const files = world.files;
    makeTree(join(files.hippo, '4123', 'results'), 4);

    const core = new Proc(world.coreArgs(), env);
    started.push(core);
    for (const p of ['hippo', 'aau'] as const) {
      const ssh = ['--plugin', 'rsync', '--ssh', `${sshd.user}@${sshd.host}:${sshd.port}`, '--ssh-host-key', sshd.hostKey, '--authorized-keys', sshd.authorizedKeysPath, '--source-address', '127.0.0.1', '--rrsync', sshd.rrsync];
      started.push(new Proc(world.providerArgs(p, ssh), env));
    }
    await core.waitFor(/transfer core .* is serving/);
    for (const p of started.slice(1)) await p.waitFor(/with the rsync plugin/);

    const submitted = new Proc(['transfer', '/4123/results', '/5243/inbox'], env);
    expect(await submitted.exited, submitted.output).toBe(0);
    const watch = new Proc(['tasks', '--watch', '--interval', '200ms'], env);
    expect(await watch.exited, watch.output).toBe(0);
    expect(watch.output).toMatch(/SUCCESS +100\.0 %/);
    expect(digestTree(join(files.aau, '5243', 'inbox', 'results'))).toEqual(digestTree(join(files.hippo, '4123', 'results')));
  }, 120_000);
});
