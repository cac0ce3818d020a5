/**
 * The built-in plugin's destination side: authorizes the source's per-task key, tells the source
 * where to push (this provider's RPC address and node id, which the source pins), serves the push
 * stream on this provider's RPC server, and on the task's end revokes the key and, unless the
 * task succeeded, removes the task's temporary files.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import type { NodeId } from '../../crypto/node-id.js';
import type { RpcServer } from '../../rpc/server.js';
import type { FileTransferReceiver, ReceivePreparation, ReceiveRequest, ReleaseTarget, TransferKeyGrant } from '../plugin.js';
import { checkEntryName, DEFAULT_KEY_LIFETIME_MS, keyNotReady, requireDestinationFolder } from '../plugin-kit/receiver-checks.js';
import type { TaskId, TaskState } from '../types.js';
import { PushAuthorizations } from './authorizations.js';
import { BuiltinPush } from './methods.js';
import { isPartialOf } from './paths.js';
import { BUILTIN_PLUGIN_TYPE } from './plugin.js';
import { servePush, type ActivePushes } from './receive-session.js';
import { parseTaskPublicKey } from './task-key.js';

/** Options of {@link builtinReceiver}. */
export interface BuiltinReceiverOptions {
  /** Where the authorizations are kept (one 0700 folder). */
  readonly stateDir: string;
  /** Maps a destination folder as the core names it to a local absolute directory. */
  readonly resolveDestination: (destinationPath: string) => string;
  /**
   * Where sources push: this provider's RPC server (the one {@link BuiltinReceiver.serve} was
   * given) as others reach it, and its node id. A function when the address is known only once
   * the server listens.
   */
  readonly endpoint: { readonly address: string; readonly nodeId: NodeId } | (() => { readonly address: string; readonly nodeId: NodeId });
  /** How long an authorization stays valid if never revoked (default 14 days). */
  readonly keyLifetimeMs?: number;
  readonly clock?: Clock;
}

/**
 * Creates the built-in receiver; call {@link BuiltinReceiver.serve} with the provider's RPC server.
 *
 * @example
 * ```ts
 * const receiver = builtinReceiver({ stateDir: '/var/lib/handoff/builtin-in', resolveDestination: (p) => join('/data', p),
 *   endpoint: { address: 'b.example.org:7100', nodeId: identity.id } });
 * receiver.serve(server);
 * ```
 */
export function builtinReceiver(options: BuiltinReceiverOptions): BuiltinReceiver {
  return new BuiltinReceiver(options);
}

/** See {@link builtinReceiver}. */
export class BuiltinReceiver implements FileTransferReceiver {
  readonly type = BUILTIN_PLUGIN_TYPE;
  readonly #options: BuiltinReceiverOptions;
  readonly #clock: Clock;
  readonly #authorizations: PushAuthorizations;
  readonly #active: ActivePushes = new Map();

  constructor(options: BuiltinReceiverOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#authorizations = new PushAuthorizations(options.stateDir);
  }

  /** Registers the push stream on `server` (the provider's RPC server, at {@link BuiltinReceiverOptions.endpoint}). */
  serve(server: RpcServer): this {
    server.stream(BuiltinPush, (stream, ctx) => servePush(stream, ctx, { authorizations: this.#authorizations, clock: this.#clock, active: this.#active }));
    return this;
  }

  async authorizeTransferKey(grant: TransferKeyGrant): Promise<void> {
    const key = parseTaskPublicKey(grant.publicKey);
    const dir = await requireDestinationFolder(this.#options.resolveDestination, grant.destinationPath);
    const known = await this.#authorizations.get(grant.taskId);
    await this.#authorizations.put({
      taskId: grant.taskId,
      key,
      sourceProvider: grant.sourceProvider,
      destinationDir: dir,
      entryName: known?.entryName ?? null,
      expiresAt: this.#clock.now() + (this.#options.keyLifetimeMs ?? DEFAULT_KEY_LIFETIME_MS),
    });
  }

  /** True while the task's key is authorized here (until release, expiry or sweep). */
  async isAuthorized(taskId: TaskId): Promise<boolean> {
    return (await this.#authorizations.get(taskId)) !== undefined;
  }

  async prepare(request: ReceiveRequest): Promise<ReceivePreparation> {
    checkEntryName(request.entryName);
    const auth = await this.#authorizations.get(request.taskId);
    const notReady = keyNotReady(request.taskId, auth, this.#clock.now());
    // keyNotReady always answers for a missing authorization.
    if (notReady !== undefined || auth === undefined) return notReady!;
    if (auth.entryName !== request.entryName) await this.#authorizations.put({ ...auth, entryName: request.entryName });
    const endpoint = typeof this.#options.endpoint === 'function' ? this.#options.endpoint() : this.#options.endpoint;
    return { ready: true, parameters: { address: endpoint.address, nodeId: endpoint.nodeId.toString() } };
  }

  async release(taskId: TaskId, outcome: TaskState, target: ReleaseTarget): Promise<void> {
    await this.#stopPush(taskId);
    await this.#authorizations.remove(taskId);
    if (outcome === 'SUCCESS' || target.entryName === null) return;
    checkEntryName(target.entryName);
    await removePartials(taskId, this.#options.resolveDestination(target.destinationPath), target.entryName);
  }

  async sweep(now: number): Promise<void> {
    for (const auth of await this.#authorizations.list()) {
      if (auth.expiresAt > now) continue;
      await this.#stopPush(auth.taskId);
      await this.#authorizations.remove(auth.taskId);
    }
  }

  /** Stops a push still running for the task and waits (briefly) until it has let go of its files. */
  async #stopPush(taskId: TaskId): Promise<void> {
    const active = this.#active.get(taskId);
    if (!active) return;
    active.stop();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([active.ended, new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
  }
}

/**
 * Removes the task's temporary files: inside the entry when it is a folder (never following a
 * link), beside it in the destination folder when it is a file. Finished files stay.
 */
async function removePartials(taskId: TaskId, destinationDir: string, entryName: string): Promise<void> {
  const pending = [destinationDir];
  let first = true;
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isFile() && isPartialOf(taskId, e.name)) await rm(full, { force: true });
      // In the destination folder itself only the entry is ours to walk into.
      else if (e.isDirectory() && (!first || e.name === entryName) && !(await lstat(full)).isSymbolicLink()) pending.push(full);
    }
    first = false;
  }
}
