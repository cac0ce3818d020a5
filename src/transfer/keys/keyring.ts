/**
 * The source provider's transfer keys: one Ed25519 pair per task, kept under one directory that
 * only this provider reads. The public key is handed out (through the client's session) to the
 * destination; the private key never leaves this machine and is deleted when the task ends.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../core/errors.js';
import type { TaskId } from '../types.js';
import { generateSshKeyPair } from './keygen.js';

/** The comment that names a task's key in key files: `handoff-task-<id>`. */
export function transferKeyComment(taskId: TaskId): string {
  return `handoff-task-${checkTaskId(taskId)}`;
}

/** Options of {@link TransferKeyring}: where keys live and how long they last. */
export interface TransferKeyringOptions {
  /** Directory for the keys (e.g. `/var/lib/handoff/keys`); one subdirectory (0700) per task. */
  readonly dir: string;
  /** The `ssh-keygen` binary (default: found on PATH). */
  readonly sshKeygen?: string;
}

/**
 * Per-task SSH keys on the source provider.
 *
 * @example
 * ```ts
 * const keyring = new TransferKeyring({ dir: '/var/lib/handoff/keys' });
 * const publicKey = await keyring.issue(42);       // give this to the destination
 * keyring.privateKeyPath(42);                       // ssh -i <this>
 * await keyring.discard(42);                        // when task 42 reaches a terminal state
 * ```
 */
export class TransferKeyring {
  readonly #dir: string;
  readonly #sshKeygen: string | undefined;

  constructor(options: TransferKeyringOptions) {
    this.#dir = options.dir;
    this.#sshKeygen = options.sshKeygen;
  }

  /** Creates the task's key pair (once; repeated calls return the same key) and returns the public key. */
  async issue(taskId: TaskId): Promise<string> {
    const pair = await generateSshKeyPair({
      dir: this.#taskDir(taskId),
      comment: transferKeyComment(taskId),
      ...(this.#sshKeygen === undefined ? {} : { sshKeygen: this.#sshKeygen }),
    });
    return pair.publicKey;
  }

  /** Where the task's private key is (whether or not it exists yet). */
  privateKeyPath(taskId: TaskId): string {
    return join(this.#taskDir(taskId), 'key');
  }

  /** Throws `NotFoundError` unless the task's key has been issued. */
  async requireKey(taskId: TaskId): Promise<string> {
    const path = this.privateKeyPath(taskId);
    try {
      await stat(path);
    } catch {
      throw new NotFoundError(`no transfer key has been issued for task ${taskId}`);
    }
    return path;
  }

  /** Deletes the task's key pair. Idempotent. */
  async discard(taskId: TaskId): Promise<void> {
    await rm(this.#taskDir(taskId), { recursive: true, force: true });
  }

  #taskDir(taskId: TaskId): string {
    return join(this.#dir, `task-${checkTaskId(taskId)}`);
  }
}

function checkTaskId(taskId: TaskId): TaskId {
  if (!Number.isSafeInteger(taskId) || taskId < 0) {
    throw new InvalidArgumentError(`"taskId" expected a non-negative safe integer, got ${String(taskId)}`);
  }
  return taskId;
}
