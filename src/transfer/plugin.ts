/**
 * The transfer plugin interface (seed 004 "Plugin interface"). A provider's integration module
 * runs one plugin type; the plugin moves the bytes, the module owns policy (retries, pauses, what
 * the core is told). Each side of a transfer has its half:
 *
 * - {@link FileTransferPlugin} on the source provider: `start` and `cancel` are required, `pause`
 *   and `resume` optional (pause implies resume), `getState` reports a state and a percentage.
 * - {@link FileTransferReceiver} on the destination provider: prepares to receive one task
 *   (e.g. checks that the task's key was authorized) and cleans up when the task ends.
 *
 * Both providers must run the same plugin `type`; they agree on it between themselves.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { FileTransferState, PluginCapabilities, ProviderId, TaskId, TaskState } from './types.js';

/**
 * Why a run stopped without finishing, as the plugin classifies it: `retryable` (network, a killed
 * process, a vanished file: try again later), `out-of-space` (the destination is full: pause and
 * wait), `fatal` (misconfiguration, a refused key, a missing source: retrying cannot help).
 */
export type InterruptionKind = 'retryable' | 'out-of-space' | 'fatal';

/** A classified interruption with a sentence for the user. */
export interface TransferInterruption {
  readonly kind: InterruptionKind;
  readonly reason: string;
}

/**
 * What {@link FileTransferPlugin.getState} returns: the seed's state and percentage, plus why the
 * run stopped when it stopped on its own. `PAUSED` without an interruption means paused on request.
 */
export interface PluginTransferState extends FileTransferState {
  readonly interruption?: TransferInterruption;
}

/**
 * Parameters the destination's receiver hands the source's plugin during negotiation (host, port,
 * host key, ...). Opaque to the integration module; each plugin defines and validates its own.
 */
export type TransferParameters = Readonly<Record<string, string | number | boolean>>;

/** One transfer as the source plugin sees it. */
export interface PluginTask {
  readonly taskId: TaskId;
  /** The source as a local path on this provider. */
  readonly sourcePath: string;
  readonly destinationProvider: ProviderId;
  /** The destination folder as the core names it. */
  readonly destinationPath: string;
  /** From the destination's {@link FileTransferReceiver.prepare}. */
  readonly parameters: TransferParameters;
  /** Compare content by checksum, not by size and time. */
  readonly verifyChecksums: boolean;
}

/** A started (or re-started) run: the process id the module records, or null for in-process plugins. */
export interface PluginRun {
  readonly pid: number | null;
}

/**
 * The source side of a transfer plugin.
 *
 * @example
 * ```ts
 * const plugin = rsyncPlugin({ stateDir, keyring });
 * const run = await plugin.start(task);            // { pid: 4242 }
 * const { state, progress } = await plugin.getState(task.taskId);
 * ```
 */
export interface FileTransferPlugin {
  /** The plugin type both providers must agree on, e.g. `"rsync"`. */
  readonly type: string;
  readonly capabilities: PluginCapabilities;
  /** Starts moving `task`'s data; resolves once the transfer is under way. */
  start(task: PluginTask): Promise<PluginRun>;
  /** Stops the transfer for good and waits until nothing of it runs any more. Idempotent. */
  cancel(taskId: TaskId): Promise<void>;
  /** Stops the transfer so that `resume` continues it; waits until nothing of it runs. */
  pause?(taskId: TaskId): Promise<void>;
  /** Continues a paused or interrupted transfer. */
  resume?(taskId: TaskId): Promise<PluginRun>;
  /** The current state and percentage (0..100, or -1 while unknown). Cheap: called on every poll. */
  getState(taskId: TaskId): Promise<PluginTransferState>;
  /**
   * After a module restart: re-learns `task`. When `pid` is still this task's process and `running`
   * is true, adopts it and returns its run; when `running` is false, stops it. Returns null when
   * nothing of the task is running (the module then resumes it if it should run). Without this
   * method the module calls `start` again, so `start` must then be safe to repeat.
   */
  restore?(task: PluginTask, pid: number | null, running: boolean): Promise<PluginRun | null>;
  /** Key exchange, source side: creates (once) this task's key pair and returns the public key. */
  issueTransferKey?(taskId: TaskId): Promise<string>;
  /** Forgets a task that reached a terminal state: deletes its key, logs and working files. */
  release?(taskId: TaskId): Promise<void>;
}

/** What the client delivers to the destination in the key exchange. */
export interface TransferKeyGrant {
  readonly taskId: TaskId;
  /** The public key the source provider generated for this task (e.g. `ssh-ed25519 AAAA…`). */
  readonly publicKey: string;
  readonly sourceProvider: ProviderId;
  /** The destination folder as the core names it. */
  readonly destinationPath: string;
}

/** The destination's half of a negotiation for one task. */
export interface ReceiveRequest {
  readonly taskId: TaskId;
  readonly sourceProvider: ProviderId;
  readonly destinationPath: string;
  /** The name the transferred file or folder gets inside the destination folder. */
  readonly entryName: string;
}

/** What the destination knows about a task it is asked to release. */
export interface ReleaseTarget {
  /** The destination folder as the core names it. */
  readonly destinationPath: string;
  /** The name of the transferred entry inside it, or null when the source never negotiated. */
  readonly entryName: string | null;
}

/** Ready (with the parameters the source plugin needs) or not yet / never. */
export type ReceivePreparation =
  | { readonly ready: true; readonly parameters: TransferParameters }
  | { readonly ready: false; readonly retryable: boolean; readonly reason: string };

/**
 * The destination side of a transfer plugin.
 *
 * @example
 * ```ts
 * const receiver = rsyncReceiver({ authorizedKeys, ssh: { host, port, user, hostKey }, ... });
 * await receiver.authorizeTransferKey?.(grant);   // key exchange, from the client's session
 * const prep = await receiver.prepare(request);    // when the source negotiates
 * await receiver.release(taskId, 'SUCCESS');        // when the source reports the end
 * ```
 */
export interface FileTransferReceiver {
  readonly type: string;
  /** Key exchange, destination side: authorizes the source's key for this one transfer. */
  authorizeTransferKey?(grant: TransferKeyGrant): Promise<void>;
  prepare(request: ReceiveRequest): Promise<ReceivePreparation>;
  /** The task ended with `outcome`: revoke what was authorized, remove leftovers of a failed run. */
  release(taskId: TaskId, outcome: TaskState, target: ReleaseTarget): Promise<void>;
  /** Periodic housekeeping (e.g. drop expired authorizations). */
  sweep?(now: number): Promise<void>;
}

/**
 * Checks a plugin at registration: a non-empty `type`, the required methods, and that `pause`,
 * `resume` and `capabilities.canPause` agree (pause implies resume). Throws `InvalidArgumentError`.
 */
export function validatePlugin(plugin: FileTransferPlugin): void {
  validateType(plugin.type, 'plugin');
  for (const name of ['start', 'cancel', 'getState'] as const) {
    if (typeof plugin[name] !== 'function') {
      throw new InvalidArgumentError(`transfer plugin "${plugin.type}" must implement ${name}()`);
    }
  }
  const hasPause = typeof plugin.pause === 'function';
  const hasResume = typeof plugin.resume === 'function';
  if (hasPause && !hasResume) {
    throw new InvalidArgumentError(`transfer plugin "${plugin.type}" implements pause() but not resume(): pause implies resume`);
  }
  if (typeof plugin.capabilities?.canPause !== 'boolean') {
    throw new InvalidArgumentError(`transfer plugin "${plugin.type}": "capabilities.canPause" expected a boolean`);
  }
  if (plugin.capabilities.canPause !== hasPause) {
    throw new InvalidArgumentError(
      `transfer plugin "${plugin.type}": capabilities.canPause is ${plugin.capabilities.canPause} but pause() is ${hasPause ? '' : 'not '}implemented`,
    );
  }
}

/** Checks a receiver at registration. Throws `InvalidArgumentError`. */
export function validateReceiver(receiver: FileTransferReceiver): void {
  validateType(receiver.type, 'receiver');
  for (const name of ['prepare', 'release'] as const) {
    if (typeof receiver[name] !== 'function') {
      throw new InvalidArgumentError(`transfer receiver "${receiver.type}" must implement ${name}()`);
    }
  }
}

function validateType(type: unknown, what: string): void {
  if (typeof type !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(type)) {
    throw new InvalidArgumentError(`transfer ${what} "type" expected a short lowercase name, got ${JSON.stringify(type)}`);
  }
}
