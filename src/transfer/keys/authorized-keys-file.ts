/**
 * Edits of an `authorized_keys` file that other people's keys may share: every edit re-reads the
 * file, changes only our `handoff-task-<id>` lines, and replaces the file atomically (temporary
 * file in the same directory, same mode and owner, fsync, rename, directory fsync), so sshd
 * never reads a half-written file. Edits of one file are serialized within this process, so
 * concurrent tasks never lose each other's lines.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { TaskId } from '../types.js';
import { formatAuthorizedKeyLine, parseTransferKeyLine, type TransferKeyAuthorization, type TransferKeyEntry } from './authorized-keys.js';

/** Pending edit per absolute file path: the tail of that file's edit queue. */
const editQueues = new Map<string, Promise<unknown>>();

/**
 * One `authorized_keys` file on the destination provider.
 *
 * @example
 * ```ts
 * const keys = new AuthorizedKeysFile('/home/transfer/.ssh/authorized_keys');
 * await keys.authorize({ taskId: 42, publicKey, destinationDir: '/data/dst', from: ['10.0.0.7'], expiresAt });
 * await keys.revoke(42);            // when task 42 ends
 * await keys.revokeExpired(Date.now());
 * ```
 */
export class AuthorizedKeysFile {
  readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
  }

  /** Adds the task's restricted line, replacing an earlier line of the same task. */
  async authorize(authorization: TransferKeyAuthorization): Promise<void> {
    const line = formatAuthorizedKeyLine(authorization);
    await this.#edit((lines) => [...lines.filter((l) => parseTransferKeyLine(l)?.taskId !== authorization.taskId), line]);
  }

  /** Removes the task's line. Resolves true when there was one. Idempotent. */
  async revoke(taskId: TaskId): Promise<boolean> {
    let removed = false;
    await this.#edit((lines) => {
      const kept = lines.filter((l) => parseTransferKeyLine(l)?.taskId !== taskId);
      removed = kept.length !== lines.length;
      return removed ? kept : null;
    });
    return removed;
  }

  /** Removes every one of our lines whose expiry time has passed; returns their tasks. */
  async revokeExpired(now: number): Promise<TaskId[]> {
    const expired: TaskId[] = [];
    await this.#edit((lines) => {
      const kept = lines.filter((l) => {
        const entry = parseTransferKeyLine(l);
        if (entry && entry.expiresAt <= now) {
          expired.push(entry.taskId);
          return false;
        }
        return true;
      });
      return expired.length > 0 ? kept : null;
    });
    return expired;
  }

  /** Our lines currently in the file. */
  async list(): Promise<TransferKeyEntry[]> {
    const lines = await this.#read();
    return lines.map(parseTransferKeyLine).filter((e): e is TransferKeyEntry => e !== null);
  }

  /** The task's line, or undefined. */
  async find(taskId: TaskId): Promise<TransferKeyEntry | undefined> {
    return (await this.list()).find((e) => e.taskId === taskId);
  }

  /** Runs `change` on the current lines and writes its result (null: leave the file alone). */
  #edit(change: (lines: readonly string[]) => string[] | null): Promise<void> {
    const previous = editQueues.get(this.path) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const updated = change(await this.#read());
        if (updated !== null) await writeAtomically(this.path, updated.length > 0 ? `${updated.join('\n')}\n` : '');
      });
    editQueues.set(this.path, next);
    // Drop the queue entry once idle, so the map does not grow with every file ever edited.
    void next.then(
      () => editQueues.get(this.path) === next && editQueues.delete(this.path),
      () => editQueues.get(this.path) === next && editQueues.delete(this.path),
    );
    return next;
  }

  async #read(): Promise<string[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text.split('\n').filter((l) => l.length > 0);
  }
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  let mode = 0o600;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await stat(path);
    mode = st.mode & 0o777;
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    // A new file: 0600, owned by us.
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(tmp, 'wx', mode);
  try {
    await file.writeFile(content, 'utf8');
    // Root editing a user's file must hand it back to that user, or sshd's StrictModes refuses it.
    if (owner && process.getuid?.() === 0) await file.chown(owner.uid, owner.gid);
    await file.chmod(mode);
    await file.sync();
    await file.close();
    await rename(tmp, path);
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
