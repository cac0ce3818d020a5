/**
 * SSH key pairs for one transfer, made by `ssh-keygen` spawned directly (no shell), so nothing in
 * a path or comment is ever interpreted.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError, InvalidArgumentError } from '../../core/errors.js';

/** A generated key pair on disk. */
export interface SshKeyPair {
  /** Path of the private key file (mode 0600). */
  readonly privateKeyPath: string;
  /** The OpenSSH public key line: `ssh-ed25519 AAAA… comment`. */
  readonly publicKey: string;
}

/** Options of {@link generateSshKeyPair}. */
export interface GenerateKeyOptions {
  /** Directory to hold `key` and `key.pub`; created with mode 0700 when missing. */
  readonly dir: string;
  /** Key comment, e.g. `handoff-task-42`; letters, digits and `._@-` only. */
  readonly comment: string;
  /** The `ssh-keygen` binary (default: found on PATH). */
  readonly sshKeygen?: string;
}

/**
 * Generates an Ed25519 key pair without a passphrase in `dir` (`ssh-keygen -t ed25519 -N '' -C
 * comment -f dir/key`). When the pair already exists it is returned as is, so a retried request
 * gets the same public key.
 *
 * @example
 * ```ts
 * const { publicKey } = await generateSshKeyPair({ dir: '/var/lib/im/keys/task-42', comment: 'handoff-task-42' });
 * ```
 */
export async function generateSshKeyPair(options: GenerateKeyOptions): Promise<SshKeyPair> {
  if (!/^[A-Za-z0-9._@-]{1,128}$/.test(options.comment)) {
    throw new InvalidArgumentError(`"comment" expected letters, digits and ._@- only, got ${JSON.stringify(options.comment)}`);
  }
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const privateKeyPath = join(options.dir, 'key');
  const publicKeyPath = `${privateKeyPath}.pub`;
  if (!(await exists(privateKeyPath)) || !(await exists(publicKeyPath))) {
    // A half pair (a crash mid-generation) would make ssh-keygen ask before overwriting.
    await rm(privateKeyPath, { force: true });
    await rm(publicKeyPath, { force: true });
    await run(options.sshKeygen ?? 'ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', options.comment, '-f', privateKeyPath]);
  }
  // ssh-keygen already writes 0600; enforce it anyway since ssh refuses a readable private key.
  await chmod(privateKeyPath, 0o600);
  const publicKey = (await readFile(publicKeyPath, 'utf8')).trim();
  return { privateKeyPath, publicKey };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function run(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err) reject(new InternalError(`${file} failed: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve();
    });
    child.stdin?.end();
  });
}
