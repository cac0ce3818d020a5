/**
 * The rsync command line, as an argument array (no shell ever sees it).
 *
 * `-a --partial --delay-updates --no-inc-recursive --info=progress2 --outbuf=L [--checksum]
 *  [--bwlimit=N] --timeout=S -e "<ssh command>" -- <source> <user>@<host>:<path>`
 *
 * - `--partial --delay-updates`: the receiver writes each file under a temporary name, keeps an
 *   interrupted file in the per-directory `.~tmp~` holding directory (so a resumed run continues
 *   inside it), and renames every finished file into place only at the very end: nothing is ever
 *   half-written under its final name. We do not use `--partial-dir=NAME`: rrsync rewrites that
 *   argument to a pinned `/proc/self/fd/N` path, and rsync 3.5 then discards the partial file on
 *   interruption (verified against rsync 3.5.0 + its rrsync); `.~tmp~` is never sent as an argument.
 * - `--no-inc-recursive`: the whole file list is known before data moves, so the total is fixed.
 * - `--info=progress2 --outbuf=L`: one whole-transfer progress line per second on stdout.
 * - `-e` is ONE argument; rsync splits it itself on spaces, honoring '…' and "…" quoting (a
 *   doubled quote inside quotes is a literal quote), then execs ssh directly.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { TransferParameters } from '../plugin.js';

/** Where the destination's sshd is and how to recognize it: the rsync receiver's parameters. */
export interface RsyncEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The server's host public key (`ssh-ed25519 AAAA…`), pinned in a per-task known_hosts file. */
  readonly hostKey: string;
  /** Remote path relative to the forced rrsync's folder; `.` is the destination folder itself. */
  readonly remotePath: string;
}

/** Everything one rsync run needs. */
export interface RsyncInvocation {
  /** Local source file or folder; it is created inside the destination folder under its own name. */
  readonly sourcePath: string;
  readonly endpoint: RsyncEndpoint;
  readonly privateKeyPath: string;
  readonly knownHostsPath: string;
  readonly verifyChecksums: boolean;
  /** `--bwlimit` in KiB/s (0 or undefined: unlimited). */
  readonly bandwidthLimitKiBps?: number;
  /** rsync's `--timeout`: seconds without I/O before giving up (exit 30, retried). Default 300. */
  readonly ioTimeoutSeconds?: number;
  /** ssh binary (default `ssh`). */
  readonly ssh?: string;
  /** Extra `-o Key=Value` ssh options. */
  readonly sshOptions?: readonly string[];
}

/**
 * The argument array for `rsync` (without `rsync` itself).
 *
 * @example
 * ```ts
 * spawn('rsync', rsyncArguments(invocation), { detached: true, shell: false });
 * ```
 */
export function rsyncArguments(invocation: RsyncInvocation): string[] {
  const { endpoint } = invocation;
  const args = ['-a', '--partial', '--delay-updates', '--no-inc-recursive', '--info=progress2', '--outbuf=L'];
  if (invocation.verifyChecksums) args.push('--checksum');
  const limit = invocation.bandwidthLimitKiBps ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidArgumentError(`"bandwidthLimitKiBps" expected a non-negative integer, got ${limit}`);
  if (limit > 0) args.push(`--bwlimit=${limit}`);
  args.push(`--timeout=${invocation.ioTimeoutSeconds ?? 300}`);
  args.push('-e', sshCommandLine(invocation));
  args.push('--', sourceArgument(invocation.sourcePath), `${endpoint.user}@${hostForRsync(endpoint.host)}:${endpoint.remotePath}`);
  return args;
}

/** The ssh command line rsync runs, as one string rsync splits on its own. */
export function sshCommandLine(invocation: RsyncInvocation): string {
  const { endpoint } = invocation;
  const words = [
    invocation.ssh ?? 'ssh',
    // Ignore ~/.ssh/config and agents: this connection uses exactly this key and this host key.
    '-F', '/dev/null',
    '-i', sshPath(invocation.privateKeyPath),
    '-p', String(endpoint.port),
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'StrictHostKeyChecking=yes',
    // The value is a list of files split on spaces unless quoted; ssh also expands %-tokens in both paths.
    '-o', `UserKnownHostsFile="${sshPath(invocation.knownHostsPath)}"`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    '-o', 'ConnectTimeout=20',
    '-o', 'ServerAliveInterval=15',
    '-o', 'ServerAliveCountMax=4',
  ];
  for (const option of invocation.sshOptions ?? []) words.push('-o', option);
  return words.map(rsyncQuote).join(' ');
}

/** The known_hosts line pinning the endpoint's host key. */
export function knownHostsLine(endpoint: RsyncEndpoint): string {
  const host = endpoint.port === 22 ? endpoint.host : `[${endpoint.host}]:${endpoint.port}`;
  return `${host} ${endpoint.hostKey}\n`;
}

/** Reads and validates the receiver's parameters. Throws `InvalidArgumentError` naming the field. */
export function parseRsyncEndpoint(parameters: TransferParameters): RsyncEndpoint {
  const host = parameters.host;
  const port = parameters.port;
  const user = parameters.user;
  const hostKey = parameters.hostKey;
  const remotePath = parameters.remotePath ?? '.';
  if (typeof host !== 'string' || !/^(?:[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$/.test(host)) {
    throw new InvalidArgumentError(`"host" expected a host name or address, got ${JSON.stringify(host)}`);
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`"port" expected 1..65535, got ${JSON.stringify(port)}`);
  }
  if (typeof user !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(user)) {
    throw new InvalidArgumentError(`"user" expected a login name, got ${JSON.stringify(user)}`);
  }
  if (typeof hostKey !== 'string' || !/^[a-z0-9@.-]{3,64} [A-Za-z0-9+/]+={0,2}$/.test(hostKey)) {
    throw new InvalidArgumentError('"hostKey" expected an OpenSSH public key ("ssh-ed25519 AAAA…")');
  }
  if (typeof remotePath !== 'string' || remotePath.length === 0 || /[\s'"\\\u0000-\u001f]/.test(remotePath) || remotePath.startsWith('-')) {
    throw new InvalidArgumentError(`"remotePath" expected a plain relative path, got ${JSON.stringify(remotePath)}`);
  }
  return { host, port, user, hostKey, remotePath };
}

function sourceArgument(path: string): string {
  // No trailing slash: rsync then creates the folder itself inside the destination, not its contents.
  const trimmed = path.replace(/\/+$/, '');
  if (!trimmed.startsWith('/')) throw new InvalidArgumentError(`"sourcePath" expected an absolute local path other than /, got ${JSON.stringify(path)}`);
  return trimmed;
}

function sshPath(path: string): string {
  // ssh expands ${VAR} and %-tokens in these paths: escape %, refuse the rest.
  if (path.includes('"') || path.includes('${') || /[\u0000-\u001f]/.test(path)) throw new InvalidArgumentError(`ssh cannot be given the path ${JSON.stringify(path)}`);
  return path.replaceAll('%', '%%');
}

function hostForRsync(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Quotes a word for rsync's own -e splitting (not a shell): '…' with doubled inner quotes. */
function rsyncQuote(word: string): string {
  if (/^[A-Za-z0-9_./=:@%+,-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "''")}'`;
}
