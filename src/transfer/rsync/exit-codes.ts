/**
 * What an rsync exit means for the task. Decided from the exit code and, where the code alone is
 * ambiguous, from rsync's and ssh's messages on stderr:
 *
 * | exit | meaning | classification |
 * |---|---|---|
 * | 0 | success | (success) |
 * | any, stderr has ENOSPC / EDQUOT | destination full or over quota | out-of-space → PAUSED, retried |
 * | any, stderr has an rrsync refusal | the destination's forced command refused our options | fatal |
 * | 1, 2, 3, 4, 6 | usage, protocol incompatibility, file selection, unsupported action, log file | fatal |
 * | 5 | error starting the client-server protocol (the remote side refused to start) | fatal |
 * | 25 | --max-delete limit | fatal |
 * | 255 or 12, stderr has ssh's "Permission denied (publickey…)" (key revoked, expired, not from this address) or "Host key verification failed" | fatal |
 * | 255 | ssh failed otherwise (connection refused/reset, DNS, timeout) | retryable |
 * | 10, 12, 30, 35 | socket I/O, protocol stream (connection dropped), I/O timeout, connect timeout | retryable |
 * | 11 | file I/O error (without ENOSPC/EDQUOT) | retryable: often transient on network filesystems; the module gives up after repeated attempts without progress |
 * | 13, 14, 21, 22 | diagnostics, IPC, waitpid, memory | retryable |
 * | 20 | SIGINT/SIGTERM/SIGHUP | ours: pause/cancel (handled before this); anyone else's: retryable |
 * | 23, 24 | partial transfer, vanished source files | retryable, after reporting the message |
 * | killed by a signal | e.g. SIGKILL from outside | retryable |
 * | anything else | unknown | retryable (bounded by the module's attempt limit) |
 */
import type { TransferInterruption } from '../plugin.js';

/** How an rsync process ended. */
export interface RsyncExit {
  /** The exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The end of rsync's stderr (a few KiB is plenty). */
  readonly stderr: string;
}

const OUT_OF_SPACE = /No space left on device|Disk quota exceeded|\((?:28|122)\)\s*$/m;
const RRSYNC_REFUSAL = /rrsync error:/;
const SSH_AUTH_REFUSED = /Permission denied \((?:publickey|password|keyboard-interactive|gssapi)|Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|no matching host key type/;
const FATAL_CODES = new Set([1, 2, 3, 4, 5, 6, 25]);

/**
 * Classifies an rsync exit; null means success. Exits caused by our own pause or cancel signals
 * are the caller's business and must not be passed here.
 *
 * @example
 * ```ts
 * classifyRsyncExit({ code: 11, signal: null, stderr: 'rsync: [receiver] write failed on "/d/f": No space left on device (28)' });
 * // { kind: 'out-of-space', reason: 'the destination is out of space: …' }
 * ```
 */
export function classifyRsyncExit(exit: RsyncExit): TransferInterruption | null {
  if (exit.code === 0) return null;
  const detail = lastMessage(exit.stderr);
  const said = detail ? `: ${detail}` : '';
  if (OUT_OF_SPACE.test(exit.stderr)) return { kind: 'out-of-space', reason: `the destination is out of space${said}` };
  if (exit.code === null) {
    return { kind: 'retryable', reason: `rsync was killed by ${exit.signal ?? 'a signal'}` };
  }
  if (RRSYNC_REFUSAL.test(exit.stderr)) {
    return { kind: 'fatal', reason: `the destination refused the transfer (rsync exit ${exit.code})${said}` };
  }
  // Depending on which it notices first (ssh's exit or the closed pipe) rsync exits 255 or 12
  // when ssh fails, so ssh's own words decide.
  if (SSH_AUTH_REFUSED.test(exit.stderr)) return { kind: 'fatal', reason: `the destination refused the SSH connection${said}` };
  if (exit.code === 255) return { kind: 'retryable', reason: `could not reach the destination over SSH${said}` };
  if (FATAL_CODES.has(exit.code)) return { kind: 'fatal', reason: `rsync failed with exit ${exit.code} (${describe(exit.code)})${said}` };
  return { kind: 'retryable', reason: `rsync stopped with exit ${exit.code} (${describe(exit.code)})${said}` };
}

/** rsync(1)'s name for an exit code. */
export function describe(code: number): string {
  return DESCRIPTIONS[code] ?? 'unknown error';
}

const DESCRIPTIONS: Readonly<Record<number, string>> = {
  1: 'syntax or usage error',
  2: 'protocol incompatibility',
  3: 'errors selecting input/output files, dirs',
  4: 'requested action not supported',
  5: 'error starting client-server protocol',
  6: 'daemon unable to append to log-file',
  10: 'error in socket I/O',
  11: 'error in file I/O',
  12: 'error in rsync protocol data stream',
  13: 'errors with program diagnostics',
  14: 'error in IPC code',
  20: 'received SIGUSR1 or SIGINT',
  21: 'some error returned by waitpid()',
  22: 'error allocating core memory buffers',
  23: 'partial transfer due to error',
  24: 'partial transfer due to vanished source files',
  25: 'the --max-delete limit stopped deletions',
  30: 'timeout in data send/receive',
  35: 'timeout waiting for daemon connection',
  255: 'ssh failed',
};

/** The most telling line of stderr: the first error that is not rsync's generic summary. */
function lastMessage(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^rsync error: .*\(code \d+\)/.test(l) && !/connection unexpectedly closed/.test(l));
  const line = lines.find((l) => OUT_OF_SPACE.test(l) || RRSYNC_REFUSAL.test(l) || SSH_AUTH_REFUSED.test(l)) ?? lines[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
