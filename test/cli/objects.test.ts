/**
 * The network from a terminal, every party a process of its own: a satellite and six storage
 * nodes started with `handoff`, an access made from a passphrase, a folder of mixed files copied
 * up and back down and compared byte for byte, a prefix moved on the satellite and removed — and
 * the one-line errors and exit statuses of a wrong passphrase, a missing bucket, an unreachable
 * satellite, and a copy cancelled with Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAccess } from '../../src/cli/access/grant.js';
import { CliProcesses, type CliProcess } from './support/procs.js';

let dir: string;
let procs: CliProcesses;
let satelliteRef: string;
let apiKey: string;
let satellite: CliProcess;

/** Every file under `root`, relative path to bytes. */
function tree(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return files;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handoff-cli-objects-'));
  procs = new CliProcesses({ HANDOFF_CONFIG_DIR: join(dir, 'config'), HANDOFF_PASSPHRASE: '' });
  satellite = procs.start(['satellite', 'run', '--dir', join(dir, 'satellite'), '--address', '127.0.0.1:0', '--project', 'photos']);
  satelliteRef = (await satellite.waitFor(/satellite (\S+@\S+) is running/))[1]!;
  apiKey = (await satellite.waitFor(/its API key: (hk1_\S+)/))[1]!;
  const nodes = [0, 1, 2, 3, 4, 5].map((i) => procs.start(['node', 'run', '--dir', join(dir, `node-${i}`), '--satellite', satelliteRef, '--capacity', '1GB']));
  await Promise.all(nodes.map((node) => node.waitFor(/storage node \S+ is serving/)));
  writeFileSync(join(dir, 'passphrase'), 'correct horse battery staple\n');
}, 240_000);

afterAll(async () => {
  await procs.killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('handoff from the command line', () => {
  it('stores a folder of mixed files and reads it back byte for byte, moves it as a prefix, and removes it', async () => {
    const made = await procs.run(['access', 'new', 'main', '--satellite', satelliteRef, '--api-key', apiKey, '--passphrase-file', join(dir, 'passphrase')]);
    expect(made.code, made.stderr).toBe(0);
    const accesses = join(dir, 'config', 'accesses.json');
    expect(statSync(accesses).mode & 0o777).toBe(0o600);
    expect(readFileSync(accesses, 'utf8')).not.toContain('correct horse'); // the key, never the passphrase

    expect((await procs.run(['mb', 'hf://photos'])).code).toBe(0);

    const up = join(dir, 'up');
    mkdirSync(join(up, 'deep', 'er'), { recursive: true });
    writeFileSync(join(up, 'empty'), '');
    writeFileSync(join(up, 'hello.txt'), 'hello, network\n');
    writeFileSync(join(up, 'deep', 'noise.bin'), randomBytes(3 * 1024 * 1024 + 17)); // several segments, not inline
    writeFileSync(join(up, 'deep', 'er', 'ünïcode name.json'), JSON.stringify({ a: [1, 2, 3] }));
    for (let i = 0; i < 6; i++) writeFileSync(join(up, 'deep', `small-${i}`), randomBytes(100 + i * 1000));

    const copiedUp = await procs.run(['cp', '--recursive', '--parallel', '3', up, 'hf://photos/2024/']);
    expect(copiedUp.code, copiedUp.stderr).toBe(0);
    expect(copiedUp.stdout).toContain('10 of 10 file(s) copied');

    const listed = await procs.run(['ls', '--recursive', '--json', 'hf://photos/2024/']);
    expect(listed.code).toBe(0);
    const entries = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { kind: string; key: string; size: number });
    expect(entries.map((e) => e.key).sort()).toEqual([...tree(up).keys()].map((k) => `2024/${k.split('\\').join('/')}`).sort());
    expect(entries.find((e) => e.key === '2024/deep/noise.bin')?.size).toBe(3 * 1024 * 1024 + 17);

    const down = join(dir, 'down');
    const copiedDown = await procs.run(['cp', '-r', 'hf://photos/2024', down]);
    expect(copiedDown.code, copiedDown.stderr).toBe(0);
    expect(tree(down)).toEqual(tree(up));
    expect(readdirSync(join(down, 'deep')).some((name) => name.includes('handoff-partial'))).toBe(false);

    const cat = await procs.run(['cat', 'hf://photos/2024/hello.txt']);
    expect(cat.stdout).toBe('hello, network\n');

    const moved = await procs.run(['mv', 'hf://photos/2024/deep/', 'hf://photos/archive/']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain('8 moved, 0 already there, 0 failed');
    const after = await procs.run(['ls', '-r', '--json', 'hf://photos']);
    const keys = after.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { key: string }).key);
    expect(keys.filter((k) => k.startsWith('2024/deep/'))).toEqual([]);
    expect(keys.filter((k) => k.startsWith('archive/')).sort()).toEqual([...tree(join(up, 'deep')).keys()].map((k) => `archive/${k}`).sort());
    // A moved object reads back the same bytes under its new name.
    const noise = await procs.run(['cp', 'hf://photos/archive/noise.bin', join(dir, 'noise-again.bin')]);
    expect(noise.code, noise.stderr).toBe(0);
    expect(readFileSync(join(dir, 'noise-again.bin')).equals(readFileSync(join(up, 'deep', 'noise.bin')))).toBe(true);

    const removed = await procs.run(['rm', '--recursive', 'hf://photos/archive/']);
    expect(removed.code, removed.stderr).toBe(0);
    const left = await procs.run(['ls', '-r', '--json', 'hf://photos']);
    expect(left.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { key: string }).key).sort()).toEqual(['2024/empty', '2024/hello.txt']);
  }, 400_000);

  it('says in one line, with status 1, that a passphrase is not the one the data was stored under', async () => {
    const made = await procs.run(['access', 'new', 'typo', '--satellite', satelliteRef, '--api-key', apiKey], { HANDOFF_PASSPHRASE: 'correct horse battery stapel' });
    expect(made.code, made.stderr).toBe(0);
    const listed = await procs.run(['ls', '--access', 'typo', 'hf://photos']);
    expect(listed.code).toBe(1);
    expect(listed.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^handoff: \d+ name\(s\) here cannot be decrypted with this access's key: they were written under another passphrase/)]);
    const read = await procs.run(['cat', '--access', 'typo', 'hf://photos/2024/hello.txt']);
    expect(read.code).toBe(1);
    expect(read.stdout).toBe('');
    expect(read.stderr.trim().split('\n')).toHaveLength(1);
    expect(read.stderr).toMatch(/^handoff: object "2024\/hello.txt" not found .* different passphrase/);
  }, 120_000);

  it('names a missing bucket and how to make it, with status 1', async () => {
    const file = join(dir, 'one.txt');
    writeFileSync(file, 'one');
    const copied = await procs.run(['cp', file, 'hf://no-such-bucket/one.txt']);
    expect(copied.code).toBe(1);
    expect(copied.stderr.trim()).toBe(`handoff: ${file} -> hf://no-such-bucket/one.txt: bucket "no-such-bucket" not found (handoff ls lists the buckets; handoff mb hf://no-such-bucket makes it)`);
    const listed = await procs.run(['ls', 'hf://no-such-bucket']);
    expect(listed.code).toBe(1);
    expect(listed.stderr.trim()).toBe('handoff: bucket "no-such-bucket" not found (handoff ls lists the buckets; handoff mb hf://no-such-bucket makes it)');
  }, 120_000);

  it('says a satellite cannot be reached, with status 1, and saves no access for it', async () => {
    const satelliteId = satelliteRef.split('@')[0]!;
    const made = await procs.run(['access', 'new', 'nowhere', '--satellite', `${satelliteId}@127.0.0.1:1`, '--api-key', apiKey, '--passphrase-file', join(dir, 'passphrase')]);
    expect(made.code).toBe(1);
    expect(made.stderr.trim()).toMatch(/^handoff: cannot reach the satellite at 127\.0\.0\.1:1 \(.*\); is it running, and is the address right\?$/);
    expect((await procs.run(['access', 'list', '--json'])).stdout).not.toContain('nowhere');
  }, 120_000);

  it('refuses a command line it cannot read with status 2 and the usage, on stderr', async () => {
    const result = await procs.run(['cp', 'only-one-argument']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("missing required argument 'dst'");
    expect(result.stderr).toContain('usage: handoff cp');
    const local = await procs.run(['cp', 'a', 'b']);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('one of SRC and DST must be in the network');
  }, 120_000);

  it("shows the satellite's projects, keys and nodes and a node's status; a revoked key's access is refused", async () => {
    const satelliteDir = join(dir, 'satellite');
    // Restarted as the README does it, with --project photos again: the project is reused, not doubled.
    satellite.child.kill('SIGINT');
    expect(await satellite.exited).toBe(0);
    satellite = procs.start(['satellite', 'run', '--dir', satelliteDir, '--address', satelliteRef.split('@')[1]!, '--project', 'photos']);
    await satellite.waitFor(/project "photos" exists/);
    const nodes = await procs.run(['satellite', 'nodes', '--dir', satelliteDir, '--json']);
    expect(nodes.code, nodes.stderr).toBe(0);
    const rows = nodes.stdout.trim().split('\n').map((line) => JSON.parse(line) as { state: string; address: string });
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => r.state === 'online')).toBe(true);

    const status = await procs.run(['node', 'status', '--dir', join(dir, 'node-0'), '--json']);
    expect(status.code, status.stderr).toBe(0);
    const node = JSON.parse(status.stdout) as { satellites: Array<{ id: string; state: string }>; allocatedBytes: number };
    expect(node.allocatedBytes).toBe(1e9);
    expect(node.satellites).toEqual([expect.objectContaining({ id: satelliteRef.split('@')[0], state: 'serving' })]);

    const projects = JSON.parse((await procs.run(['satellite', 'projects', 'list', '--dir', satelliteDir, '--json'])).stdout) as { projects: Array<{ name: string }> };
    expect(projects.projects.map((p) => p.name)).toEqual(['photos']);

    const created = JSON.parse((await procs.run(['satellite', 'keys', 'create', 'photos', '--dir', satelliteDir, '--json'])).stdout) as { apiKey: string };
    const made = await procs.run(['access', 'new', 'second-key', '--satellite', satelliteRef, '--api-key', created.apiKey, '--passphrase-file', join(dir, 'passphrase')]);
    expect(made.code, made.stderr).toBe(0);
    expect((await procs.run(['ls', '--access', 'second-key', 'hf://photos'])).code).toBe(0);
    const shown = JSON.parse((await procs.run(['access', 'show', 'second-key', '--json'])).stdout) as { apiKeyId: string; apiKey?: string };
    expect(shown.apiKey).toBeUndefined(); // no secret unless --secrets
    const revoked = await procs.run(['satellite', 'keys', 'revoke', shown.apiKeyId, '--dir', satelliteDir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const refused = await procs.run(['ls', '--access', 'second-key', 'hf://photos']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^handoff: the satellite refused this access's API key .*revoked/);
  }, 240_000);

  it.runIf(spawnSync('script', ['--version']).status === 0)('at a terminal: asks for the passphrase twice without echoing it, derives the same key, and draws a live bar that Ctrl-C ends with the cursor shown', async () => {
    const typed = procs.start(['access', 'new', 'typed', '--satellite', satelliteRef, '--api-key', apiKey], {}, true);
    await typed.waitFor(/Passphrase: /);
    typed.type('correct horse battery staple\r');
    await typed.waitFor(/Passphrase again: /);
    typed.type('correct horse battery staple\r');
    expect(await typed.exited).toBe(0);
    expect(typed.output).toContain('access typed saved');
    expect(typed.output).not.toContain('correct horse');
    // The same passphrase in the same project gives the same key as the one read from a file.
    const keyOf = async (name: string): Promise<string> => Buffer.from(decodeAccess((JSON.parse((await procs.run(['access', 'show', name, '--secrets', '--json'])).stdout) as { access: string }).access).rootKey).toString('hex');
    expect(await keyOf('typed')).toBe(await keyOf('main'));

    const mistyped = procs.start(['access', 'new', 'mistyped', '--satellite', satelliteRef, '--api-key', apiKey], {}, true);
    await mistyped.waitFor(/Passphrase: /);
    mistyped.type('one\r');
    await mistyped.waitFor(/Passphrase again: /);
    mistyped.type('two\r');
    expect(await mistyped.exited).toBe(1);
    expect(mistyped.output).toContain('handoff: the two passphrases differ: nothing was saved');

    const file = join(dir, 'bar.bin');
    writeFileSync(file, randomBytes(2 * 1024 * 1024));
    const copy = procs.start(['cp', file, 'hf://photos/bar.bin'], {}, true);
    expect(await copy.exited).toBe(0);
    expect(copy.output).toMatch(/ETA \d+ s \| \d\/1 files/); // the live bar, drawn in place
    expect(copy.output).not.toContain('bar.bin -> hf://'); // no per-file lines tearing it

    // Ctrl-C typed at the terminal while the bar is live: cancelled, and the cursor shown again.
    const folder = join(dir, 'bar-folder');
    mkdirSync(folder);
    for (let i = 0; i < 40; i++) writeFileSync(join(folder, `f-${String(i).padStart(2, '0')}`), randomBytes(64 * 1024));
    const stopped = procs.start(['cp', '-r', '--parallel', '1', folder, 'hf://photos/bar-folder/'], {}, true);
    await stopped.waitFor(/[1-9]\d*\/40 files/); // the bar is live and a file is done
    stopped.type('\x03');
    expect(await stopped.exited).toBe(130);
    expect(stopped.output).toMatch(/handoff: cancelled after copying at least \d+ of 40 file\(s\)/);
    expect(stopped.output).toContain('\x1b[?25l');
    expect(stopped.output.lastIndexOf('\x1b[?25h')).toBeGreaterThan(stopped.output.lastIndexOf('\x1b[?25l'));
  }, 240_000);

  it('exports an access as one string and imports it; a restricted one reads only its prefix and writes nothing', async () => {
    const exported = await procs.run(['access', 'export', 'main', '--read-only', '--only', 'hf://photos/2024/']);
    expect(exported.code, exported.stderr).toBe(0);
    const text = exported.stdout.trim();
    expect(text).toMatch(/^hfa1[A-Za-z0-9_-]+$/);
    const imported = await procs.run(['access', 'import', 'shared', text]);
    expect(imported.code, imported.stderr).toBe(0);
    const shown = await procs.run(['access', 'show', 'shared']);
    expect(shown.stdout).toMatch(/restrictions\s+read-only, only hf:\/\/photos\/2024\/ — enforced by the satellite/);

    const read = await procs.run(['cat', '--access', 'shared', 'hf://photos/2024/hello.txt']);
    expect(read.stdout).toBe('hello, network\n');
    const file = join(dir, 'nope.txt');
    writeFileSync(file, 'nope');
    const write = await procs.run(['cp', '--access', 'shared', file, 'hf://photos/2024/nope.txt']);
    expect(write.code).toBe(1);
    expect(write.stderr.trim()).toBe('handoff: this access is read-only');
    const outside = await procs.run(['cat', '--access', text, 'hf://photos/elsewhere.txt']); // the string itself works as --access
    expect(outside.code).toBe(1);
    expect(outside.stderr.trim()).toBe('handoff: this access is restricted to hf://photos/2024/');
  }, 120_000);

  it('a prefix move stopped with Ctrl-C says so, and the same command run again moves the rest', async () => {
    const folder = join(dir, 'to-move');
    mkdirSync(folder);
    for (let i = 0; i < 30; i++) writeFileSync(join(folder, `m-${String(i).padStart(2, '0')}`), `object ${i}`);
    expect((await procs.run(['cp', '-r', '-p', '8', '-q', folder, 'hf://photos/to-move/'])).code).toBe(0);
    const first = procs.start(['mv', '--parallel', '1', 'hf://photos/to-move/', 'hf://photos/moved/']);
    await first.waitFor(/-> hf:\/\/photos\/moved\//);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    const stoppedAfter = Number(/cancelled after moving at least (\d+) object\(s\); run the same command again to move the rest/.exec(first.stderr)?.[1]);
    expect(stoppedAfter).toBeGreaterThan(0);
    expect(stoppedAfter).toBeLessThan(30);
    const again = await procs.run(['mv', 'hf://photos/to-move/', 'hf://photos/moved/', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as { moved: number; skipped: number; failed: number };
    expect(report.failed).toBe(0);
    // The one move in flight at the stop (--parallel 1) may have finished on the satellite.
    expect(report.moved + report.skipped).toBeLessThanOrEqual(30 - stoppedAfter);
    expect(report.moved + report.skipped).toBeGreaterThanOrEqual(30 - stoppedAfter - 1);
    const keys = (await procs.run(['ls', '-r', '--json', 'hf://photos'])).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { key: string }).key);
    expect(keys.filter((k) => k.startsWith('to-move/'))).toEqual([]);
    expect(keys.filter((k) => k.startsWith('moved/'))).toHaveLength(30);
    expect((await procs.run(['cat', 'hf://photos/moved/m-29'])).stdout).toBe('object 29');
  }, 180_000);

  it('cancels a copy on Ctrl-C: says so, exits 130, and commits no half object', async () => {
    const many = join(dir, 'many');
    mkdirSync(many);
    for (let i = 0; i < 40; i++) writeFileSync(join(many, `f-${String(i).padStart(2, '0')}`), randomBytes(64 * 1024));
    const copy = procs.start(['cp', '-r', '--parallel', '1', many, 'hf://photos/many/']);
    await copy.waitFor(/f-00 \(/);
    copy.child.kill('SIGINT');
    expect(await copy.exited).toBe(130);
    expect(copy.stderr).toMatch(/handoff: cancelled after copying at least (\d+) of 40 file\(s\); nothing half-written is left/);
    const done = Number(/at least (\d+) of 40/.exec(copy.stderr)![1]);
    expect(done).toBeLessThan(40);
    const listed = await procs.run(['ls', '--json', 'hf://photos/many/']);
    const objects = listed.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { key: string; size: number });
    // Every object there is whole: the copies that finished (and perhaps the one whose commit was
    // already on its way), never a part of one.
    expect(objects.length).toBeGreaterThanOrEqual(done);
    expect(objects.length).toBeLessThanOrEqual(done + 1);
    for (const object of objects) expect(object.size).toBe(64 * 1024);
    expect(existsSync(join(dir, 'config', 'accesses.json'))).toBe(true);
  }, 120_000);
});
