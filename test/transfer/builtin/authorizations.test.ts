/**
 * The built-in receiver's authorization records on disk: concurrent writes of one task (an
 * authorization racing the negotiation that records the entry name) all succeed, and the last
 * call's record is the one a restarted receiver reads.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Identity } from '../../../src/crypto/identity.js';
import { PushAuthorizations, type PushAuthorization } from '../../../src/transfer/builtin/authorizations.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('writes concurrent records of one task one after the other, the last call winning on disk and in memory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-push-auth-'));
  dirs.push(dir);
  const auth = new PushAuthorizations(dir);
  const key = Identity.generate().id;
  const record = (i: number): PushAuthorization => ({
    taskId: 7, key, sourceProvider: 'a', destinationDir: '/data/inbox', entryName: i === 0 ? null : `entry-${i}`, expiresAt: 1_000 + i,
  });
  const other: PushAuthorization = { ...record(0), taskId: 8 };
  await Promise.all([...Array.from({ length: 8 }, (_, i) => auth.put(record(i))), auth.put(other)]);

  expect((await auth.get(7))?.entryName).toBe('entry-7');
  const reopened = new PushAuthorizations(dir);
  expect((await reopened.get(7))?.entryName).toBe('entry-7');
  expect((await reopened.get(7))?.key.equals(key)).toBe(true);
  expect((await reopened.get(8))?.expiresAt).toBe(1_000);
  expect(readdirSync(dir).sort()).toEqual(['task-7.json', 'task-8.json']); // no temporary file left
});
