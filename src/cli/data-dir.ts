/**
 * A party's data directory on disk: created safely, and locked by the one process that uses it.
 * Two processes on one directory would both check in under the same node id (the second one
 * re-registering the node at its own address) and write the same database and pieces.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { processExists } from '../admin/address-file.js';

/** The lock's file name inside the directory. */
export const LOCK_FILE = 'handoff.lock';

/** A data directory cannot be used: it could not be created, or another process holds it. */
export class DataDirectoryError extends Error {
  override readonly name = 'DataDirectoryError';
}

/**
 * Creates `dir` and its missing parents, one level at a time. Node's recursive `mkdirSync` never
 * returns for a path it cannot create under an existing parent (`/proc/nope`: the parent is
 * there, the child fails with ENOENT, and it retries forever); this fails at once, saying why.
 */
export function makeDirectory(dir: string): void {
  const path = resolve(dir);
  const missing: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    if (isDirectory(at)) break;
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const at of missing.reverse()) {
    try {
      mkdirSync(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && isDirectory(at)) continue;
      const reason = code === 'EEXIST' ? 'a file is in the way' : (err as Error).message;
      throw new DataDirectoryError(`cannot create the data directory ${dir}: ${reason}`, { cause: err });
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** What a lock file says about its holder. */
interface Holder {
  pid: number;
  host: string;
  /** What holds it, e.g. `handoff node run`. */
  command: string;
  since: string;
  /** Tells this holder's lock from another's with the same pid. */
  nonce: string;
}

/** A held data-directory lock; `release()` removes it (once; later calls do nothing). */
export interface DataDirectoryLock {
  readonly path: string;
  release(): void;
}

/**
 * Locks `dir` for this process: an exclusive lock file (created whole, atomically) naming the
 * holder's pid. A lock whose process is gone (on this host) is stale and taken over; one held by
 * a live process — or on another host, where liveness cannot be checked — is refused with a
 * `DataDirectoryError` that says by whom.
 *
 * @example
 * ```ts
 * const lock = lockDataDirectory('./node-1', 'handoff node run');
 * try { ... } finally { lock.release(); }
 * ```
 */
export function lockDataDirectory(dir: string, command: string): DataDirectoryLock {
  const path = join(dir, LOCK_FILE);
  const mine: Holder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString(), nonce: randomBytes(12).toString('hex') };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, text)) return heldLock(path, text);
    let found: string;
    try {
      found = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      throw new DataDirectoryError(`cannot read the lock ${path}: ${(err as Error).message}`, { cause: err });
    }
    const holder = parseHolder(found);
    if (holder !== undefined && (holder.host !== mine.host || processExists(holder.pid))) {
      const where = holder.host === mine.host ? '' : ` on ${holder.host}`;
      throw new DataDirectoryError(
        `the data directory ${dir} is in use by process ${holder.pid}${where} (${holder.command}, since ${holder.since}); stop it first, or delete ${path} if no such process uses it`,
      );
    }
    removeStale(path, found);
  }
  throw new DataDirectoryError(`cannot lock the data directory ${dir}: its lock ${path} keeps changing`);
}

/** Creates `path` holding `text` unless it exists; the file never appears half-written. */
function createExclusive(path: string, text: string): boolean {
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  let fd: number;
  try {
    fd = openSync(draft, 'wx', 0o644);
  } catch (err) {
    throw new DataDirectoryError(`cannot write in the data directory ${dirname(path)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(draft, path); // atomic, and fails when the lock exists
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    return createDirectly(path, text); // a file system without hard links
  } finally {
    unlinkSync(draft);
  }
}

function createDirectly(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new DataDirectoryError(`cannot lock the data directory ${dirname(path)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes a stale lock — only the one that was read: it is first renamed aside, so a process
 * that took the lock over in between keeps its own (it is linked back).
 */
function removeStale(path: string, staleText: string): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new DataDirectoryError(`cannot remove the stale lock ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    if (readFileSync(aside, 'utf8') !== staleText) linkSync(aside, path);
  } catch {
    // Someone locked it again meanwhile: theirs stands, and the next attempt reads it.
  } finally {
    unlinkSync(aside);
  }
}

function heldLock(path: string, text: string): DataDirectoryLock {
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      try {
        // Only our own: a lock someone deleted and another process took is not ours to remove.
        if (readFileSync(path, 'utf8') === text) unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    if (!Number.isSafeInteger(value.pid) || (value.pid as number) <= 0 || typeof value.host !== 'string') return undefined;
    return { pid: value.pid as number, host: value.host, command: String(value.command ?? 'unknown'), since: String(value.since ?? 'unknown'), nonce: String(value.nonce ?? '') };
  } catch {
    return undefined; // not a lock we wrote: stale
  }
}
