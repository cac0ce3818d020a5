import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatAuthorizedKeyLine,
  formatExpiryTime,
  normalizeEd25519PublicKey,
  parseExpiryTime,
  parseTransferKeyLine,
  type TransferKeyAuthorization,
} from '../../../src/transfer/keys/authorized-keys.js';
import { AuthorizedKeysFile } from '../../../src/transfer/keys/authorized-keys-file.js';

/** A syntactically real Ed25519 public key (its 32 bytes need not be a curve point for sshd's parser). */
function publicKey(seed: number): string {
  const blob = Buffer.alloc(51);
  blob.writeUInt32BE(11, 0);
  blob.write('ssh-ed25519', 4, 'latin1');
  blob.writeUInt32BE(32, 15);
  blob.fill(seed % 256, 19);
  return `ssh-ed25519 ${blob.toString('base64')}`;
}

const base: TransferKeyAuthorization = {
  taskId: 42,
  publicKey: `${publicKey(1)} someone@laptop`,
  destinationDir: '/data/b/inbox',
  from: ['10.0.0.7', '10.0.1.*'],
  expiresAt: Date.UTC(2026, 11, 1, 12, 0, 30),
};

describe('the restricted authorized_keys line', () => {
  it('forces receive-only rrsync into the folder, from the source, until the expiry, for this task', () => {
    expect(formatAuthorizedKeyLine(base)).toBe(
      `restrict,command="/usr/bin/rrsync -wo -no-del -no-lock /data/b/inbox",from="10.0.0.7,10.0.1.*",expiry-time="202612011201Z" ${publicKey(1)} handoff-task-42`,
    );
  });

  it('quotes a folder with spaces for the shell sshd runs the command with', () => {
    expect(formatAuthorizedKeyLine({ ...base, destinationDir: '/data/my inbox' })).toContain(`command="/usr/bin/rrsync -wo -no-del -no-lock '/data/my inbox'"`);
  });

  it.each([
    ['a relative folder', { destinationDir: 'inbox' }],
    ['a quote that would end the command', { destinationDir: '/data/x"; evil' }],
    ['a single quote', { destinationDir: "/data/it's" }],
    ['a newline that would start a new line', { destinationDir: '/data/x\nssh-ed25519 AAAA attacker' }],
    ['no source address', { from: [] }],
    ['a from pattern with a quote', { from: ['10.0.0.7",command="sh'] }],
    ['an RSA key', { publicKey: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ' }],
    ['a key blob of the wrong length', { publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5' }],
    ['a key with options smuggled in front', { publicKey: `command="sh" ${publicKey(1)}` }],
  ])('refuses %s', (_, change) => {
    expect(() => formatAuthorizedKeyLine({ ...base, ...change })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('reads back the task and the expiry of its own lines, and nothing from other lines', () => {
    const line = formatAuthorizedKeyLine(base);
    expect(parseTransferKeyLine(line)).toEqual({ taskId: 42, expiresAt: Date.UTC(2026, 11, 1, 12, 1), line });
    expect(parseTransferKeyLine(`${publicKey(2)} admin@host`)).toBeNull();
    expect(parseTransferKeyLine('# handoff-task-9')).toBeNull();
  });

  it('writes expiry times sshd reads as UTC, never earlier than asked', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) }), (ms) => {
        const back = parseExpiryTime(formatExpiryTime(ms));
        expect(back).toBeGreaterThanOrEqual(ms);
        expect(back - ms).toBeLessThan(60_000);
      }),
    );
    expect(formatExpiryTime(Date.UTC(2030, 0, 1, 0, 0))).toBe('203001010000Z');
  });

  it('normalizes a public key by dropping its comment', () => {
    expect(normalizeEd25519PublicKey(`  ${publicKey(3)} a comment with spaces \n`)).toBe(publicKey(3));
  });
});

describe('an authorized_keys file shared with other keys', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-keys-'));
    path = join(dir, 'authorized_keys');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds and revokes task lines and leaves every other line alone, keeping the mode', async () => {
    writeFileSync(path, `# the admin's keys\n${publicKey(9)} admin@host\n`, { mode: 0o640 });
    const file = new AuthorizedKeysFile(path);
    await file.authorize(base);
    await file.authorize({ ...base, taskId: 43, publicKey: publicKey(4) });
    expect((await file.list()).map((e) => e.taskId)).toEqual([42, 43]);
    expect(statSync(path).mode & 0o777).toBe(0o640);

    expect(await file.revoke(42)).toBe(true);
    expect(await file.revoke(42)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(`# the admin's keys\n${publicKey(9)} admin@host\n${formatAuthorizedKeyLine({ ...base, taskId: 43, publicKey: publicKey(4) })}\n`);
  });

  it('re-authorizing a task replaces its line', async () => {
    const file = new AuthorizedKeysFile(path);
    await file.authorize(base);
    await file.authorize({ ...base, publicKey: publicKey(5) });
    const lines = await file.list();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.line).toContain(publicKey(5));
  });

  it('loses no line when many tasks edit it at once', async () => {
    const file = new AuthorizedKeysFile(path);
    const other = new AuthorizedKeysFile(path); // a second handle on the same file shares the queue
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? file : other).authorize({ ...base, taskId: i, publicKey: publicKey(i) })));
    await Promise.all(Array.from({ length: 20 }, (_, i) => file.revoke(i * 2)));
    expect((await file.list()).map((e) => e.taskId)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2 + 1));
  });

  it('drops lines whose expiry has passed', async () => {
    const file = new AuthorizedKeysFile(path);
    await file.authorize({ ...base, taskId: 1, expiresAt: 1_000_000 });
    await file.authorize({ ...base, taskId: 2, expiresAt: 9_000_000_000_000 });
    expect(await file.revokeExpired(5_000_000)).toEqual([1]);
    expect((await file.list()).map((e) => e.taskId)).toEqual([2]);
  });
});
