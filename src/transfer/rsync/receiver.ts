/**
 * The rsync plugin's destination side: authorizes a source's per-task key in `authorized_keys`
 * (forced receive-only rrsync into the destination folder, `from=` the source's addresses, an
 * expiry), tells the source where to connect, and on the task's end revokes the key and removes
 * what a stopped transfer left in rsync's `.~tmp~` holding directories.
 */
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import { normalizeEd25519PublicKey } from '../keys/authorized-keys.js';
import type { AuthorizedKeysFile } from '../keys/authorized-keys-file.js';
import type { FileTransferReceiver, ReceivePreparation, ReceiveRequest, ReleaseTarget, TransferKeyGrant } from '../plugin.js';
import { checkEntryName, DEFAULT_KEY_LIFETIME_MS, keyNotReady, requireDestinationFolder } from '../plugin-kit/receiver-checks.js';
import type { ProviderId, TaskId, TaskState } from '../types.js';
import { RSYNC_PLUGIN_TYPE } from './plugin.js';

/** rsync's holding directory for `--delay-updates` (and, with `--partial`, interrupted files). */
export const RSYNC_HOLDING_DIR = '.~tmp~';

/** Options of {@link rsyncReceiver}: authorized keys, how sources reach this host, where files land. */
export interface RsyncReceiverOptions {
  /** The `authorized_keys` file of `ssh.user` that this receiver manages. */
  readonly authorizedKeys: AuthorizedKeysFile;
  /** Where sources connect: this provider's sshd, its login and its host public key. */
  readonly ssh: { readonly host: string; readonly port: number; readonly user: string; readonly hostKey: string };
  /** Maps a destination folder as the core names it to a local absolute directory. */
  readonly resolveDestination: (destinationPath: string) => string;
  /** Address patterns each source provider connects from (sshd `from=` syntax). */
  readonly sourceAddresses: (provider: ProviderId) => readonly string[];
  /** How long an authorization stays valid if never revoked (default 14 days). */
  readonly keyLifetimeMs?: number;
  /** rrsync on this machine (default `/usr/bin/rrsync`). */
  readonly rrsync?: string;
  readonly clock?: Clock;
}

/**
 * Creates the rsync receiver.
 *
 * @example
 * ```ts
 * const receiver = rsyncReceiver({
 *   authorizedKeys: new AuthorizedKeysFile('/home/transfer/.ssh/authorized_keys'),
 *   ssh: { host: 'b.example.org', port: 22, user: 'transfer', hostKey: 'ssh-ed25519 AAAA…' },
 *   resolveDestination: (p) => join('/data', p),
 *   sourceAddresses: (provider) => directory.addressesOf(provider),
 * });
 * ```
 */
export function rsyncReceiver(options: RsyncReceiverOptions): RsyncReceiver {
  return new RsyncReceiver(options);
}

/** See {@link rsyncReceiver}. */
export class RsyncReceiver implements FileTransferReceiver {
  readonly type = RSYNC_PLUGIN_TYPE;
  readonly #options: RsyncReceiverOptions;
  readonly #clock: Clock;

  constructor(options: RsyncReceiverOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  async authorizeTransferKey(grant: TransferKeyGrant): Promise<void> {
    const publicKey = normalizeEd25519PublicKey(grant.publicKey);
    const dir = await requireDestinationFolder(this.#options.resolveDestination, grant.destinationPath);
    await this.#options.authorizedKeys.authorize({
      taskId: grant.taskId,
      publicKey,
      destinationDir: dir,
      from: this.#options.sourceAddresses(grant.sourceProvider),
      expiresAt: this.#clock.now() + (this.#options.keyLifetimeMs ?? DEFAULT_KEY_LIFETIME_MS),
      ...(this.#options.rrsync === undefined ? {} : { rrsync: this.#options.rrsync }),
    });
  }

  async prepare(request: ReceiveRequest): Promise<ReceivePreparation> {
    checkEntryName(request.entryName);
    const notReady = keyNotReady(request.taskId, await this.#options.authorizedKeys.find(request.taskId), this.#clock.now());
    if (notReady) return notReady;
    const { host, port, user, hostKey } = this.#options.ssh;
    return { ready: true, parameters: { host, port, user, hostKey, remotePath: '.' } };
  }

  async release(taskId: TaskId, outcome: TaskState, target: ReleaseTarget): Promise<void> {
    await this.#options.authorizedKeys.revoke(taskId);
    // After SUCCESS rsync has moved everything into place and removed its holding dirs; without
    // an entry name the source never got as far as sending anything.
    if (outcome === 'SUCCESS' || target.entryName === null) return;
    checkEntryName(target.entryName);
    const dir = this.#options.resolveDestination(target.destinationPath);
    await removeHoldingDirs(dir, target.entryName);
  }

  async sweep(now: number): Promise<void> {
    await this.#options.authorizedKeys.revokeExpired(now);
  }
}

/**
 * Removes the holding directories a stopped transfer of `entryName` left in `dir`: for a folder,
 * every `.~tmp~` inside it; for a file, its entry in `dir/.~tmp~` (shared with other transfers of
 * single files into the same folder, so only removed when empty).
 */
async function removeHoldingDirs(dir: string, entryName: string): Promise<void> {
  const target = join(dir, entryName);
  let isDir = false;
  try {
    isDir = (await lstat(target)).isDirectory();
  } catch {
    // nothing was renamed into place
  }
  if (!isDir) {
    const holding = join(dir, RSYNC_HOLDING_DIR);
    await rm(join(holding, entryName), { force: true });
    await rmdir(holding).catch(() => undefined);
    return;
  }
  const pending = [target];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name === RSYNC_HOLDING_DIR) await rm(join(current, e.name), { recursive: true, force: true });
      else pending.push(join(current, e.name));
    }
  }
}
