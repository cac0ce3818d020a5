/**
 * The `handoff` command as an operator runs it: identities, then a satellite and a storage node
 * as separate processes that find each other over TCP. Runs the built CLI (npm test builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli/index.js', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-cli-'));
  dirs.push(dir);
  return dir;
}

/** Starts the CLI and resolves with the first output line matching `ready`. */
function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
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
    const node = await start(['node', 'run', '--dir', join(dir, 'node'), '--satellite', ref, '--capacity', '1GiB'], /storage node (\S+) is serving at (\S+)/);
    expect(node.match[1]).toMatch(/^[a-z2-7]{58}$/);
    expect(node.output()).not.toMatch(/error in check-in/);
    const stopped = new Promise((resolve) => node.child.on('exit', resolve));
    node.child.kill('SIGTERM');
    expect(await stopped).toBe(0);
    expect(node.output()).toContain('storage node stopped');
  });

  it('explains its usage instead of failing obscurely', async () => {
    const { code, output } = await run(['node', 'run']);
    expect(code).toBe(2);
    expect(output).toContain('--dir');
    expect((await run(['frobnicate'])).output).toContain('unknown command');
  });
});
