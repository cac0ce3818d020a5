/**
 * Runs `work` with the process's temporary directory (`os.tmpdir()`, which reads `TMPDIR`)
 * pointed at a fresh directory of its own, so a test can say "left nothing behind" by looking at
 * that directory alone — other test files running at the same time in other workers make their
 * own temporary files in the real one. Returns what `work` returned and the directory's path
 * (still there, for the caller to inspect; `cleanup` removes it).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OwnTmpdir<T> {
  readonly result: T;
  readonly dir: string;
  /** The names left in the directory. */
  leftovers(): string[];
  cleanup(): void;
}

export async function withOwnTmpdir<T>(prefix: string, work: () => Promise<T>): Promise<OwnTmpdir<T>> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const result = await work();
    return { result, dir, leftovers: () => readdirSync(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}
