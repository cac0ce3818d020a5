/**
 * A real OpenSSH server for tests and benchmarks: `sshd -D -e -f <config>` on 127.0.0.1 and a free
 * port, with a temporary host key, its own `authorized_keys` file, and nothing of the machine's
 * sshd configuration. Public-key logins only; the current user (root in CI) may log in with a key.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const SSHD_CANDIDATES = ['/usr/sbin/sshd', '/usr/local/sbin/sshd', '/sbin/sshd'];
const RRSYNC_CANDIDATES = ['/usr/bin/rrsync', '/usr/local/bin/rrsync', '/usr/share/doc/rsync/support/rrsync'];

/** A running test sshd. */
export interface SshServer {
  readonly host: string;
  readonly port: number;
  /** The login name sessions run as (the current user). */
  readonly user: string;
  /** The server's host public key, `ssh-ed25519 AAAA…`. */
  readonly hostKey: string;
  /** The only authorized_keys file this server reads. */
  readonly authorizedKeysPath: string;
  /** rrsync on this machine. */
  readonly rrsync: string;
  /** The server's temporary directory. */
  readonly dir: string;
  /** What sshd printed so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** The sshd binary, or undefined. */
export function findSshd(): string | undefined {
  return SSHD_CANDIDATES.find((p) => existsSync(p));
}

/** rrsync, or undefined. */
export function findRrsync(): string | undefined {
  return RRSYNC_CANDIDATES.find((p) => existsSync(p));
}

/** Why an rsync-over-SSH test cannot run here, or undefined when it can. */
export function sshUnavailableReason(): string | undefined {
  if (process.platform === 'win32') return 'sshd tests need a POSIX system';
  if (!findSshd()) return `no sshd binary (looked in ${SSHD_CANDIDATES.join(', ')}); install openssh-server`;
  if (!findRrsync()) return 'no rrsync (shipped with rsync); install rsync';
  for (const tool of ['rsync', 'ssh', 'ssh-keygen']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      return `no ${tool} on PATH`;
    }
  }
  return undefined;
}

/**
 * Starts a private sshd.
 *
 * @example
 * ```ts
 * const sshd = await startSshd();
 * // ... ssh -p sshd.port -i key sshd.user@127.0.0.1 ...
 * await sshd.stop();
 * ```
 */
export async function startSshd(): Promise<SshServer> {
  const sshd = findSshd();
  const rrsync = findRrsync();
  if (!sshd || !rrsync) throw new Error(sshUnavailableReason() ?? 'sshd unavailable');
  const dir = mkdtempSync(join(tmpdir(), 'handoff-sshd-'));
  const hostKeyPath = join(dir, 'host_ed25519_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'handoff-test-host', '-f', hostKeyPath], { stdio: 'ignore' });
  const hostKey = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const authorizedKeysPath = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeysPath, '', { mode: 0o600 });
  // The privilege separation directory must exist even though nothing is put in it.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const configPath = join(dir, 'sshd_config');
    writeFileSync(configPath, config(port, hostKeyPath, authorizedKeysPath));
    try {
      const { child, log } = await launch(sshd, configPath, port);
      return {
        host: '127.0.0.1',
        port,
        user: userInfo().username,
        hostKey,
        authorizedKeysPath,
        rrsync,
        dir,
        log,
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err; // most likely the port was taken between probing and binding
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start: ${String(lastError)}`);
}

function config(port: number, hostKeyPath: string, authorizedKeysPath: string): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKeyPath}`,
    'PidFile none',
    `AuthorizedKeysFile ${authorizedKeysPath}`,
    'StrictModes no',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PrintMotd no',
    'MaxStartups 100:30:200',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

function launch(sshd: string, configPath: string, port: number): Promise<{ child: ChildProcess; log: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(sshd, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    const log = (): string => output;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sshd did not report listening within 10 s:\n${output}`));
    }, 10_000);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      // Keep the log bounded: tests run many sessions.
      output = (output + chunk).slice(-64 * 1024);
      if (output.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        resolve({ child, log });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}:\n${output}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
