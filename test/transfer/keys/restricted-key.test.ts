import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuthorizedKeysFile } from '../../../src/transfer/keys/authorized-keys-file.js';
import { TransferKeyring } from '../../../src/transfer/keys/keyring.js';
import { describeWith } from '../../support/env.js';
import { startSshd, sshUnavailableReason, type SshServer } from '../../../src/testing/sshd.js';

interface Result {
  readonly code: number;
  readonly stderr: string;
}

function run(file: string, args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 20_000 }, (err, _stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stderr: String(stderr) });
    });
  });
}

describeWith('sshd, rsync and rrsync', sshUnavailableReason(), 'a transfer key authorized at the destination', () => {
  let sshd: SshServer;
  let dir: string;
  let keys: AuthorizedKeysFile;
  let keyring: TransferKeyring;
  let inbox: string;
  let payload: string;
  let nextTask = 300;

  beforeAll(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'handoff-restricted-'));
    keys = new AuthorizedKeysFile(sshd.authorizedKeysPath);
    keyring = new TransferKeyring({ dir: join(dir, 'keys') });
    inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    payload = join(dir, 'payload.txt');
    writeFileSync(payload, 'data\n');
  });
  afterAll(async () => {
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function authorizedTask(change: { from?: string[]; expiresAt?: number } = {}): Promise<number> {
    const taskId = nextTask++;
    await keys.authorize({
      taskId,
      publicKey: await keyring.issue(taskId),
      destinationDir: inbox,
      from: change.from ?? ['127.0.0.1'],
      expiresAt: change.expiresAt ?? Date.now() + 3600_000,
      rrsync: sshd.rrsync,
    });
    return taskId;
  }

  function ssh(taskId: number, ...extra: string[]): string[] {
    return [
      '-F', '/dev/null', '-i', keyring.privateKeyPath(taskId), '-p', String(sshd.port),
      '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
      ...extra,
    ];
  }

  const rsh = (taskId: number, ...extra: string[]): string => ssh(taskId, ...extra).map((w) => (w.includes(' ') ? `'${w}'` : w)).join(' ');
  const target = (path: string): string => `${sshd.user}@${sshd.host}:${path}`;

  it('lets rsync push files into the destination folder', async () => {
    const taskId = await authorizedTask();
    expect(await run('rsync', ['-a', '-e', `ssh ${rsh(taskId)}`, payload, target('.')])).toMatchObject({ code: 0 });
    expect(existsSync(join(inbox, 'payload.txt'))).toBe(true);
  });

  it('runs no other command', async () => {
    const taskId = await authorizedTask();
    const result = await run('ssh', [...ssh(taskId), `${sshd.user}@${sshd.host}`, 'touch', join(dir, 'pwned')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/rrsync error: SSH_ORIGINAL_COMMAND does not run rsync/);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('cannot read from the folder, delete in it, or write outside it', async () => {
    const taskId = await authorizedTask();
    const pull = await run('rsync', ['-a', '-e', `ssh ${rsh(taskId)}`, target('.'), join(dir, 'pulled')]);
    expect(pull.stderr).toMatch(/reading from write-only server is not allowed/);
    const del = await run('rsync', ['-a', '--delete', '-e', `ssh ${rsh(taskId)}`, payload, target('.')]);
    expect(del.stderr).toMatch(/--delete has been disabled/);
    const escape = await run('rsync', ['-a', '-e', `ssh ${rsh(taskId)}`, payload, target('../escaped')]);
    expect(escape.code).not.toBe(0);
    expect(existsSync(join(dir, 'escaped'))).toBe(false);
  });

  it('is refused from any other address', async () => {
    const taskId = await authorizedTask({ from: ['127.0.0.1'] });
    const result = await run('ssh', [...ssh(taskId, '-o', 'BindAddress=127.0.0.2'), `${sshd.user}@${sshd.host}`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });

  it('is refused once expired', async () => {
    const taskId = await authorizedTask({ expiresAt: Date.now() - 120_000 });
    const result = await run('ssh', [...ssh(taskId), `${sshd.user}@${sshd.host}`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });

  it('is refused once revoked', async () => {
    const taskId = await authorizedTask();
    // rrsync answers the connectivity check `true` itself.
    expect((await run('ssh', [...ssh(taskId), `${sshd.user}@${sshd.host}`, 'true'])).code).toBe(0);
    await keys.revoke(taskId);
    const result = await run('ssh', [...ssh(taskId), `${sshd.user}@${sshd.host}`, 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });
});
