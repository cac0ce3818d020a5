/** A data directory is made safely and used by one process at a time. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDirectory, makeDirectory } from '../../src/cli/data-dir.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-datadir-'));
  dirs.push(dir);
  return dir;
}

describe('a data directory', () => {
  it('is made with its missing parents, and a file in the way is named as the reason', () => {
    const root = tempDir();
    makeDirectory(join(root, 'a', 'b', 'c'));
    makeDirectory(join(root, 'a', 'b', 'c')); // already there: fine
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['c']);
    writeFileSync(join(root, 'file'), '');
    expect(() => makeDirectory(join(root, 'file', 'd'))).toThrow(/cannot create the data directory .*file.*d/);
    expect(() => makeDirectory(join(root, 'file'))).toThrow(/a file is in the way/);
  });

  it('is locked by one holder at a time, and free again once released', () => {
    const dir = tempDir();
    const lock = lockDataDirectory(dir, 'handoff node run');
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), command: 'handoff node run' });
    expect(() => lockDataDirectory(dir, 'handoff node run')).toThrow(`the data directory ${dir} is in use by process ${process.pid} (handoff node run, since`);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
    lockDataDirectory(dir, 'again').release();
    lock.release(); // a second release does nothing, and removes no one else's lock
  });

  it('takes over a lock whose process is gone or that is not a lock at all, never one held on another host', () => {
    const dir = tempDir();
    const path = join(dir, LOCK_FILE);
    // A pid no process has (above Linux's pid_max).
    writeFileSync(path, JSON.stringify({ pid: 2 ** 30, host: hostname(), command: 'handoff node run', since: 'then' }));
    lockDataDirectory(dir, 'after a crash').release();
    writeFileSync(path, 'not json');
    lockDataDirectory(dir, 'after garbage').release();
    writeFileSync(path, JSON.stringify({ pid: 2 ** 30, host: 'elsewhere.example', command: 'handoff node run', since: 'then' }));
    expect(() => lockDataDirectory(dir, 'here')).toThrow(/in use by process 1073741824 on elsewhere\.example/);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
  });
});
