/**
 * The `authorized_keys` line that lets one source provider's key deliver one transfer, and nothing
 * else (seed 004 "Exchange of keys"):
 *
 * ```text
 * restrict,command="/usr/bin/rrsync -wo -no-del -no-lock '/data/dst'",from="10.0.0.7",expiry-time="202612011200Z" ssh-ed25519 AAAA… handoff-task-42
 * ```
 *
 * - `restrict` turns off port, agent and X11 forwarding and PTY allocation.
 * - `command=` forces rrsync, whatever the client asks: `-wo` receive only, confined to the
 *   destination folder; `-no-del` no `--delete*`/`--remove*`; `-no-lock` because several tasks
 *   may write into one destination folder at once (a bulk transfer has one destination), and
 *   rrsync's lock is per folder.
 * - `from=` accepts the key only from the source provider's addresses.
 * - `expiry-time=` (UTC, `YYYYMMDDHHMMZ`, see sshd(8)) is the safety net if a revocation is missed.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { TaskId } from '../types.js';
import { transferKeyComment } from './keyring.js';

/** Where Debian and most distributions install rrsync. */
export const DEFAULT_RRSYNC = '/usr/bin/rrsync';

/** One task's authorization on the destination provider. */
export interface TransferKeyAuthorization {
  readonly taskId: TaskId;
  /** `ssh-ed25519 <base64>`; a trailing comment is dropped (ours replaces it). */
  readonly publicKey: string;
  /** Absolute local path of the destination folder. */
  readonly destinationDir: string;
  /** Address patterns the source connects from (sshd `from=` syntax: `10.0.0.7`, `10.0.0.*`, `::1`). */
  readonly from: readonly string[];
  /** Milliseconds since the epoch after which sshd refuses the key. */
  readonly expiresAt: number;
  /** Path of rrsync on this machine (default {@link DEFAULT_RRSYNC}). */
  readonly rrsync?: string;
}

/** What can be read back from one of our lines. */
export interface TransferKeyEntry {
  readonly taskId: TaskId;
  readonly expiresAt: number;
  readonly line: string;
}

/**
 * Formats the restricted line for `authorization`. Throws `InvalidArgumentError` for a key that is
 * not a well-formed Ed25519 public key, a path that could escape its quoting, or a bad pattern.
 *
 * @example
 * ```ts
 * formatAuthorizedKeyLine({ taskId: 42, publicKey, destinationDir: '/data/dst', from: ['10.0.0.7'], expiresAt });
 * ```
 */
export function formatAuthorizedKeyLine(authorization: TransferKeyAuthorization): string {
  const key = normalizeEd25519PublicKey(authorization.publicKey);
  const rrsync = checkPath('rrsync', authorization.rrsync ?? DEFAULT_RRSYNC);
  const dir = checkPath('destinationDir', authorization.destinationDir);
  const command = `${shellQuote(rrsync)} -wo -no-del -no-lock ${shellQuote(dir)}`;
  const from = checkFrom(authorization.from);
  const expiry = formatExpiryTime(authorization.expiresAt);
  return `restrict,command="${command}",from="${from}",expiry-time="${expiry}" ${key} ${transferKeyComment(authorization.taskId)}`;
}

/** Reads one of our lines (recognized by its `handoff-task-<id>` comment); null for any other line. */
export function parseTransferKeyLine(line: string): TransferKeyEntry | null {
  const m = /\sssh-ed25519\s+[A-Za-z0-9+/=]+\s+handoff-task-(\d{1,16})\s*$/.exec(line);
  if (!m?.[1]) return null;
  const taskId = Number(m[1]);
  const expiry = /(?:^|,)expiry-time="(\d{12})Z"/.exec(line);
  if (!Number.isSafeInteger(taskId) || !expiry?.[1]) return null;
  return { taskId, expiresAt: parseExpiryTime(`${expiry[1]}Z`), line };
}

/** `YYYYMMDDHHMMZ` in UTC, rounded up to the next whole minute (never earlier than asked). */
export function formatExpiryTime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError(`"expiresAt" expected a time, got ${String(ms)}`);
  const d = new Date(Math.ceil(ms / 60_000) * 60_000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
}

/** Inverse of {@link formatExpiryTime}. */
export function parseExpiryTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) throw new InvalidArgumentError(`expiry time expected YYYYMMDDHHMMZ, got ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi);
}

/**
 * Checks that `publicKey` is `ssh-ed25519 <base64>` whose blob really is an Ed25519 key
 * (`string "ssh-ed25519"`, `string <32 bytes>`), and returns it without its comment.
 */
export function normalizeEd25519PublicKey(publicKey: string): string {
  const m = /^ssh-ed25519 ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/.exec(typeof publicKey === 'string' ? publicKey.trim() : '');
  const blob = m?.[1] ? Buffer.from(m[1], 'base64') : undefined;
  const ok =
    blob !== undefined &&
    blob.length === 51 &&
    blob.readUInt32BE(0) === 11 &&
    blob.subarray(4, 15).toString('latin1') === 'ssh-ed25519' &&
    blob.readUInt32BE(15) === 32;
  if (!ok || !m?.[1]) throw new InvalidArgumentError('"publicKey" expected an OpenSSH Ed25519 public key ("ssh-ed25519 AAAA…")');
  return `ssh-ed25519 ${m[1]}`;
}

function checkPath(field: string, path: string): string {
  // The command runs through the user's shell on this machine: allow nothing that could end the
  // single-quoted word or the double-quoted option value.
  if (typeof path !== 'string' || !path.startsWith('/') || /["'\\\u0000-\u001f\u007f]/.test(path)) {
    throw new InvalidArgumentError(`"${field}" expected an absolute path without quotes, backslashes or control characters`);
  }
  return path;
}

function checkFrom(patterns: readonly string[]): string {
  if (!Array.isArray(patterns) || patterns.length === 0) {
    throw new InvalidArgumentError('"from" expected at least one address pattern: a transfer key is only valid from its source');
  }
  for (const p of patterns) {
    if (typeof p !== 'string' || !/^!?[A-Za-z0-9.:*?/_-]{1,255}$/.test(p)) {
      throw new InvalidArgumentError(`"from" pattern ${JSON.stringify(p)} is not an address, host or wildcard pattern`);
    }
  }
  return patterns.join(',');
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(word) ? word : `'${word}'`;
}
