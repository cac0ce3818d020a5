/**
 * What the SQLite and PostgreSQL stores must both do after upgrading a version-1 database, one
 * written before idempotency keys expired. Each test seeds its dialect's version-1 schema with
 * the same rows: alice's request "submit-1" (fingerprint "fp", claimed at 1 s) and its one
 * RUNNING task, /1/a at "hippo" to /2/b at "aau".
 */
import { expect } from 'vitest';
import type { TransferTaskStore } from '../../../src/transfer/store/port.js';

/**
 * The seeded request still claims its key and keeps its task, and the sweep forgets the key
 * once it has expired while the task itself stays.
 */
export async function expectSeededRequestKeptUntilItsKeyExpires(store: TransferTaskStore): Promise<void> {
  const [kept] = await store.findByIdempotencyKey('alice', 'submit-1');
  expect(kept).toMatchObject({ sourcePath: '/1/a', idempotencyKey: 'submit-1', requestIndex: 0 });
  expect(await store.claimIdempotencyKey('alice', 'submit-1', 'other', 2000, 0)).toBe('fp');
  expect(await store.forgetIdempotencyKeys(1001, 10)).toBe(1);
  expect(await store.findByIdempotencyKey('alice', 'submit-1')).toEqual([]);
  expect(await store.get(kept!.id)).toEqual(kept);
}
