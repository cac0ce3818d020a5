/**
 * What every destination-side receiver checks the same way, whatever the key is for (an SSH
 * login, a push stream): that the folder the core named is a folder here, whether the task's key
 * has arrived and is still valid, and that an entry name is one path component.
 */
import { stat } from 'node:fs/promises';
import { FailedPreconditionError, InvalidArgumentError } from '../../core/errors.js';
import type { ReceivePreparation } from '../plugin.js';
import type { TaskId } from '../types.js';

/** How long a key authorization stays valid when it is never revoked: 14 days. */
export const DEFAULT_KEY_LIFETIME_MS = 14 * 24 * 3600_000;

/**
 * The local directory `resolveDestination` maps `destinationPath` to; `FailedPreconditionError`
 * unless it is a folder on this provider.
 */
export async function requireDestinationFolder(resolveDestination: (destinationPath: string) => string, destinationPath: string): Promise<string> {
  const dir = resolveDestination(destinationPath);
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new FailedPreconditionError(`the destination ${destinationPath} is not a folder on this provider`);
  return dir;
}

/**
 * Why the source cannot connect yet, or `undefined` when it can: the task's key has not been
 * authorized here (retryable: the key exchange may still come) or it has expired (final).
 */
export function keyNotReady(taskId: TaskId, authorization: { readonly expiresAt: number } | undefined, now: number): ReceivePreparation | undefined {
  if (!authorization) return { ready: false, retryable: true, reason: `the transfer key of task ${taskId} has not been delivered to the destination yet` };
  if (authorization.expiresAt <= now) return { ready: false, retryable: false, reason: `the transfer key of task ${taskId} has expired at the destination` };
  return undefined;
}

/** Throws `InvalidArgumentError` unless `name` is one path component (no `/`, not `.` or `..`). */
export function checkEntryName(name: string): void {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new InvalidArgumentError(`"entryName" expected one path component, got ${JSON.stringify(name)}`);
  }
}
