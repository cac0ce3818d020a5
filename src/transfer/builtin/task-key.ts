/**
 * The built-in plugin's per-task keys. The source provider makes one Ed25519 identity per task
 * (the same kind of key every handoff party proves in the RPC handshake) and keeps it in the
 * task's 0700 folder; its public half travels to the destination in the key exchange as
 * `handoff-ed25519 <node id>`. The destination lets a push stream in only when the handshake
 * proved that key, so the key decides who may connect.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, isHandoffError, NotFoundError } from '../../core/errors.js';
import { Identity } from '../../crypto/identity.js';
import { NodeId } from '../../crypto/node-id.js';
import type { TaskId } from '../types.js';

/** The key type word of a built-in transfer key line. */
export const BUILTIN_KEY_TYPE = 'handoff-ed25519';

/** `handoff-ed25519 <node id>`: the public key line the key exchange carries. */
export function formatTaskPublicKey(id: NodeId): string {
  return `${BUILTIN_KEY_TYPE} ${id.toString()}`;
}

/**
 * Reads a key line made by {@link formatTaskPublicKey}. Throws `InvalidArgumentError` for
 * anything else (an SSH key, a damaged id).
 */
export function parseTaskPublicKey(line: string): NodeId {
  const parts = typeof line === 'string' ? line.trim().split(/\s+/) : [];
  if (parts.length !== 2 || parts[0] !== BUILTIN_KEY_TYPE) {
    throw new InvalidArgumentError(`"publicKey" expected "${BUILTIN_KEY_TYPE} <node id>", got ${JSON.stringify(String(line).slice(0, 80))}`);
  }
  return NodeId.parse(parts[1]!);
}

/** Directory of a task's working files under `stateDir` (key, totals, what was stored). */
export function taskDir(stateDir: string, taskId: TaskId): string {
  if (!Number.isSafeInteger(taskId) || taskId < 0) throw new InvalidArgumentError(`"taskId" expected a non-negative safe integer, got ${String(taskId)}`);
  return join(stateDir, `task-${taskId}`);
}

/**
 * The source's task identities.
 *
 * @example
 * ```ts
 * const keys = new TaskKeys('/var/lib/handoff/builtin');
 * const line = await keys.issue(42);     // 'handoff-ed25519 …': give this to the destination
 * const identity = await keys.require(42); // the RPC client's identity for task 42
 * ```
 */
export class TaskKeys {
  readonly #stateDir: string;

  constructor(stateDir: string) {
    this.#stateDir = stateDir;
  }

  /** Creates the task's identity once (later calls return the same key) and returns its public line. */
  async issue(taskId: TaskId): Promise<string> {
    const path = this.#path(taskId);
    await mkdir(taskDir(this.#stateDir, taskId), { recursive: true, mode: 0o700 });
    try {
      return formatTaskPublicKey((await Identity.load(path)).id);
    } catch (err) {
      if (!isHandoffError(err, 'NotFound')) throw err;
    }
    const identity = Identity.generate();
    try {
      await identity.save(path);
    } catch (err) {
      // Two issues raced; the first one's key is the task's key.
      if (!isHandoffError(err, 'AlreadyExists')) throw err;
      return formatTaskPublicKey((await Identity.load(path)).id);
    }
    return formatTaskPublicKey(identity.id);
  }

  /** The task's identity; `NotFoundError` when none was issued. */
  async require(taskId: TaskId): Promise<Identity> {
    try {
      return await Identity.load(this.#path(taskId));
    } catch (err) {
      if (isHandoffError(err, 'NotFound')) throw new NotFoundError(`no transfer key has been issued for task ${taskId}`, { cause: err });
      throw err;
    }
  }

  /** Deletes the task's folder with its key. Idempotent. */
  async discard(taskId: TaskId): Promise<void> {
    await rm(taskDir(this.#stateDir, taskId), { recursive: true, force: true });
  }

  #path(taskId: TaskId): string {
    return join(taskDir(this.#stateDir, taskId), 'key.pem');
  }
}
