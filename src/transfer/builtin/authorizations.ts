/**
 * The destination's record of which key may push which task: one small JSON file per task,
 * replaced atomically (temporary file, fsync, rename, folder fsync), so an authorization survives
 * a restart of the destination's module and is never half-written.
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeId } from '../../crypto/node-id.js';
import type { ProviderId, TaskId } from '../types.js';

/** One authorized task. */
export interface PushAuthorization {
  readonly taskId: TaskId;
  /** The only key that may push this task. */
  readonly key: NodeId;
  readonly sourceProvider: ProviderId;
  /** The local destination folder. */
  readonly destinationDir: string;
  /** The entry's name inside it, once the source has negotiated. */
  readonly entryName: string | null;
  /** Milliseconds since the epoch after which the key is refused. */
  readonly expiresAt: number;
}

interface Stored {
  taskId: number;
  key: string;
  sourceProvider: string;
  destinationDir: string;
  entryName: string | null;
  expiresAt: number;
}

/**
 * @example
 * ```ts
 * const auth = new PushAuthorizations('/var/lib/handoff/builtin-receiver');
 * await auth.put({ taskId: 7, key, sourceProvider: 'a', destinationDir: '/data/inbox', entryName: null, expiresAt });
 * (await auth.get(7))?.key.equals(ctx.peer);
 * ```
 */
export class PushAuthorizations {
  readonly #dir: string;
  readonly #cache = new Map<TaskId, PushAuthorization>();
  /** The last write queued per task: writes of one task run one at a time, in call order. */
  readonly #writes = new Map<TaskId, Promise<void>>();
  #loaded: Promise<void> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async get(taskId: TaskId): Promise<PushAuthorization | undefined> {
    await this.#load();
    return this.#cache.get(taskId);
  }

  async list(): Promise<PushAuthorization[]> {
    await this.#load();
    return [...this.#cache.values()];
  }

  /**
   * Records `auth`, replacing the task's earlier record. Concurrent puts of one task (an
   * authorization racing the negotiation that adds the entry name) are written one after the
   * other, in call order, so the last call's record is the one on disk and in memory.
   */
  async put(auth: PushAuthorization): Promise<void> {
    await this.#load();
    const previous = this.#writes.get(auth.taskId) ?? Promise.resolve();
    const write = previous.catch(() => {}).then(() => this.#write(auth));
    this.#writes.set(auth.taskId, write);
    try {
      await write;
    } finally {
      if (this.#writes.get(auth.taskId) === write) this.#writes.delete(auth.taskId);
    }
  }

  async #write(auth: PushAuthorization): Promise<void> {
    const stored: Stored = { ...auth, key: auth.key.toString() };
    const path = this.#path(auth.taskId);
    const tmp = `${path}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(stored));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await syncDir(this.#dir);
    this.#cache.set(auth.taskId, auth);
  }

  async remove(taskId: TaskId): Promise<void> {
    await this.#load();
    await rm(this.#path(taskId), { force: true });
    this.#cache.delete(taskId);
  }

  #path(taskId: TaskId): string {
    return join(this.#dir, `task-${taskId}.json`);
  }

  #load(): Promise<void> {
    this.#loaded ??= (async () => {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      for (const name of await readdir(this.#dir)) {
        if (!/^task-\d+\.json$/.test(name)) continue;
        try {
          const s = JSON.parse(await readFile(join(this.#dir, name), 'utf8')) as Stored;
          this.#cache.set(s.taskId, { ...s, key: NodeId.parse(s.key) });
        } catch {
          // A record we cannot read authorizes nothing.
        }
      }
    })();
    return this.#loaded;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
