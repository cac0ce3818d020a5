/**
 * The file that tells local commands where a running party's admin endpoint listens. It is
 * written whole or not at all (a draft renamed over it), names the process and the identity it
 * answers as, and is removed by its writer only: a successor's file is never taken away.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What the file says. */
export interface AdminAddressRecord {
  /** `host:port` on loopback. */
  readonly address: string;
  /** The node id the endpoint proves in its handshake (and the only one it serves). */
  readonly nodeId: string;
  readonly pid: number;
  readonly since: string;
}

/** A party's admin endpoint cannot be reached: not running, or its address file is damaged. */
export class AdminEndpointError extends Error {
  override readonly name = 'AdminEndpointError';
}

/**
 * The admin address file that goes with an identity file: beside it, named after it
 * (`identity.pem` → `identity.admin.json`). Whoever can read the identity finds the endpoint.
 */
export function adminAddressFile(identityPath: string): string {
  return join(dirname(identityPath), `${basename(identityPath).replace(/\.pem$/i, '')}.admin.json`);
}

/** Writes `record` to `path` atomically; returns a function removing it if it is still ours. */
export function writeAdminAddress(path: string, record: AdminAddressRecord): () => void {
  const text = `${JSON.stringify(record)}\n`;
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(draft, text, { mode: 0o600 });
  try {
    renameSync(draft, path);
  } catch (err) {
    try {
      unlinkSync(draft);
    } catch {
      // Nothing to tidy.
    }
    throw err;
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
}

/** Reads the admin address file at `path`; `what` names the party in errors ("the storage node in ./node-1"). */
export function readAdminAddress(path: string, what: string): AdminAddressRecord {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AdminEndpointError(`${what} is not running (no ${path})`, { cause: err });
    throw new AdminEndpointError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const value = JSON.parse(text) as Partial<AdminAddressRecord>;
    if (typeof value.address === 'string' && typeof value.nodeId === 'string' && Number.isSafeInteger(value.pid)) {
      return { address: value.address, nodeId: value.nodeId, pid: value.pid as number, since: String(value.since ?? '') };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new AdminEndpointError(`${path} is damaged; restart ${what} to write it again`);
}

/** True while a process with this pid exists (EPERM: it exists, owned by someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
