/**
 * The `handoff` command as an operator runs it: identities, then a satellite and a storage node
 * as separate processes that find each other over TCP. Runs the CLI's source through tsx (support/cli.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_CWD, cliArgv } from './support/cli.js';
import { loadNativeErasure } from '../../src/uplink/native.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-cli-'));
  dirs.push(dir);
  return dir;
}

/** Starts the CLI and resolves with the first output line matching `ready`. */
function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  const child = spawn(process.execPath, cliArgv(args), { cwd: CLI_CWD, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) resolve({ child, match, output: () => output });
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`exited with ${code} before it was ready:\n${output}`)));
  });
}

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, cliArgv(args), { cwd: CLI_CWD, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

/** The exit status of `child`, or a failure when it is still running `ms` later (it is then killed). */
function exitWithin(child: ChildProcess, ms: number, output: () => string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running ${ms / 1000} s later:\n${output()}`));
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** A satellite process with a SQLite store in `dir`; resolves with its `<id>@<address>`. */
async function startSatellite(dir: string): Promise<{ child: ChildProcess; ref: string; output: () => string }> {
  const satellite = await start(['satellite', 'run', '--address', '127.0.0.1:0', '--store', `sqlite:${join(dir, 'sat')}`, '--identity', join(dir, 'sat.pem')], /satellite (\S+@\S+) is running/);
  return { child: satellite.child, ref: satellite.match[1]!, output: satellite.output };
}

/** A TCP server that only counts who connects: a satellite address nobody should dial. */
async function countingServer(): Promise<{ server: Server; address: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, address: `127.0.0.1:${port}`, connections: () => connections };
}

describe('the handoff command', () => {
  it('makes an identity file an operator can back up, and reads its node id back', async () => {
    const file = join(tempDir(), 'me.pem');
    const made = await run(['identity', 'new', file]);
    expect(made.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const shown = await run(['identity', 'show', file]);
    expect(shown.output.trim()).toBe(made.output.trim());
    expect(made.output.trim()).toMatch(/^[a-z2-7]{58}$/);
  });

  it('runs a satellite and a storage node that checks in with it, and stops them cleanly', async () => {
    const dir = tempDir();
    const satellite = await start(['satellite', 'run', '--address', '127.0.0.1:0', '--store', `sqlite:${join(dir, 'sat')}`, '--identity', join(dir, 'sat.pem'), '--project', 'demo'], /API key: (hk1_\S+)/);
    const ref = /satellite (\S+@\S+) is running/.exec(satellite.output())![1]!;
    // The CLI codes on the native erasure kernel where it is built and the CPU has GFNI.
    const native = loadNativeErasure();
    expect(satellite.output()).toContain(`erasure kernel ${'path' in native ? native.path : 'simd'})`);
    const node = await start(['node', 'run', '--dir', join(dir, 'node'), '--satellite', ref, '--capacity', '1GiB'], /storage node (\S+) is serving at (\S+)/);
    expect(node.match[1]).toMatch(/^[a-z2-7]{58}$/);
    expect(node.output()).not.toMatch(/error in check-in/);
    const stopped = new Promise((resolve) => node.child.on('exit', resolve));
    node.child.kill('SIGTERM');
    expect(await stopped).toBe(0);
    expect(node.output()).toContain('storage node stopped');
  });

  it('stops a storage node and a satellite on the first SIGINT each, all at once: every process exits by itself with status 0', async () => {
    const dir = tempDir();
    const satellite = await startSatellite(dir);
    const nodes = await Promise.all(
      [0, 1, 2].map((i) => start(['node', 'run', '--dir', join(dir, `node-${i}`), '--satellite', satellite.ref, '--capacity', '1GiB'], /storage node \S+ is serving/)),
    );
    const everyone = [...nodes, { child: satellite.child, output: satellite.output }];
    const exits = everyone.map(({ child, output }) => exitWithin(child, 60_000, output));
    for (const { child } of everyone) child.kill('SIGINT');
    expect(await Promise.all(exits)).toEqual([0, 0, 0, 0]);
    for (const node of nodes) expect(node.output()).toContain('storage node stopped');
    expect(satellite.output()).toContain('satellite stopped');
    // Each released its data directory's lock on the way out.
    for (const i of [0, 1, 2]) expect(existsSync(join(dir, `node-${i}`, 'handoff.lock'))).toBe(false);
    expect(existsSync(join(dir, 'sat', 'handoff.lock'))).toBe(false);
  }, 120_000);

  it('refuses a second node on a data directory in use, before it checks in anywhere', async () => {
    const dir = tempDir();
    const satellite = await startSatellite(dir);
    const nodeDir = join(dir, 'node');
    const first = await start(['node', 'run', '--dir', nodeDir, '--satellite', satellite.ref], /storage node (\S+) is serving/);
    // The second one is pointed at a satellite address that counts connections: it must not dial it.
    const decoy = await countingServer();
    try {
      const [satelliteId] = satellite.ref.split('@');
      const second = await run(['node', 'run', '--dir', nodeDir, '--satellite', `${satelliteId}@${decoy.address}`]);
      expect(second.code).toBe(1);
      expect(second.output.trim().split('\n')).toHaveLength(1);
      expect(second.output).toContain(`the data directory ${nodeDir} is in use by process ${first.child.pid} (handoff node run`);
      expect(decoy.connections()).toBe(0);
    } finally {
      decoy.server.close();
    }
    // The first one is untouched: still serving, its lock still its own.
    expect(first.child.exitCode).toBeNull();
    expect(JSON.parse(readFileSync(join(nodeDir, 'handoff.lock'), 'utf8'))).toMatchObject({ pid: first.child.pid });
    const exit = exitWithin(first.child, 60_000, first.output);
    first.child.kill('SIGINT');
    expect(await exit).toBe(0);
  }, 120_000);

  it('takes over the lock of a node process that died without releasing it', async () => {
    const dir = tempDir();
    const satellite = await startSatellite(dir);
    const nodeDir = join(dir, 'node');
    mkdirSync(nodeDir);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(nodeDir, 'handoff.lock'), JSON.stringify({ pid: Number(gone.stdout), host: hostname(), command: 'handoff node run', since: 'earlier', nonce: 'x' }));
    const node = await start(['node', 'run', '--dir', nodeDir, '--satellite', satellite.ref], /storage node \S+ is serving/);
    expect(JSON.parse(readFileSync(join(nodeDir, 'handoff.lock'), 'utf8'))).toMatchObject({ pid: node.child.pid });
  }, 120_000);

  it.runIf(existsSync('/proc/self'))('fails at once, in one line, for a data directory it cannot create', async () => {
    const satelliteId = (await run(['identity', 'new', join(tempDir(), 'sat.pem')])).output.trim();
    const { code, output } = await run(['node', 'run', '--dir', '/proc/nope', '--satellite', `${satelliteId}@127.0.0.1:1`]);
    expect(code).toBe(1);
    expect(output.trim()).toMatch(/^handoff: cannot create the data directory \/proc\/nope: ENOENT/);
    expect(output.trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('explains its usage instead of failing obscurely', async () => {
    const { code, output } = await run(['node', 'run']);
    expect(code).toBe(2);
    expect(output).toContain('--dir');
    expect((await run(['frobnicate'])).output).toContain('unknown command');
  });
});
