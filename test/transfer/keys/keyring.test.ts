import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { normalizeEd25519PublicKey } from '../../../src/transfer/keys/authorized-keys.js';
import { TransferKeyring } from '../../../src/transfer/keys/keyring.js';
import { describeWith } from '../../support/env.js';
import { sshUnavailableReason } from '../../../src/testing/sshd.js';

describeWith('ssh-keygen', sshUnavailableReason(), 'the source provider keyring', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-keyring-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('issues one Ed25519 key per task, private half readable by nobody else', async () => {
    const keyring = new TransferKeyring({ dir });
    const publicKey = await keyring.issue(7);
    expect(publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=* handoff-task-7$/);
    expect(() => normalizeEd25519PublicKey(publicKey)).not.toThrow();
    const path = keyring.privateKeyPath(7);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'task-7')).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
  });

  it('gives the same key when asked again, another key to another task', async () => {
    const keyring = new TransferKeyring({ dir });
    const first = await keyring.issue(7);
    expect(await keyring.issue(7)).toBe(first);
    expect(await keyring.issue(8)).not.toBe(first);
  });

  it('forgets a key when the task is over', async () => {
    const keyring = new TransferKeyring({ dir });
    await keyring.issue(7);
    await keyring.discard(7);
    expect(existsSync(keyring.privateKeyPath(7))).toBe(false);
    await expect(keyring.requireKey(7)).rejects.toMatchObject({ name: 'NotFoundError' });
    await keyring.discard(7);
  });
});
