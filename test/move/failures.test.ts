/**
 * Moves that go wrong: clients that die halfway, replies that get lost, and finishes that were
 * forged. Each ends in a typed error or the one right outcome, and an object that is whole.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.js';
import type { MoveClientDeps } from '../../src/move/client.js';
import { copyObject, moveObject } from '../../src/move/client.js';
import { packSegmentKeys as pack, unpackSegmentKeys as unpack } from '../../src/move/key-page.js';
import * as M from '../../src/move/methods.js';
import { encryptPath, rekeyObject } from '../../src/uplink/encryption/index.js';
import { startMove, type MoveHarness, type Seeded } from './harness.js';

let sat: MoveHarness;
beforeEach(async () => {
  sat = await startMove({ move: { operationTtlMs: 60_000 } });
  await sat.bucket('photos');
});
afterEach(async () => sat.stop());

/** Begins a move of `from` to `to` by hand, as a client would before it dies. */
async function begin(from: string, to: string, options: { segmentLimit?: number; copy?: boolean } = {}) {
  const rekey = rekeyObject(sat.rootKey, { bucket: 'photos', path: from }, { bucket: 'photos', path: to });
  const response = await sat.client.call(options.copy ? M.BeginCopyObject : M.BeginMoveObject, {
    header: sat.header, bucket: 'photos', encryptedKey: rekey.oldEncryptedKey, newEncryptedKey: rekey.newEncryptedKey,
    ...(options.segmentLimit ? { segmentLimit: options.segmentLimit } : {}),
  });
  return { rekey, response };
}

/** Everything the metabase holds, to compare before and after a refused request. */
async function snapshot() {
  return { segments: await sat.metabase.iterateSegments({ limit: 10_000 }), objects: await sat.metabase.listObjects({ projectId: sat.projectId, bucket: 'photos', prefix: new Uint8Array(), recursive: true, limit: 1000, includePending: true, allVersions: true }) };
}

describe('a client that dies halfway', () => {
  it('between Begin and Finish, or between chunks: the object stays whole, and the operation expires and is cleaned up', async () => {
    const small = await sat.seed('photos', 'small.txt', { segments: 2 });
    const big = await sat.seed('photos', 'big.txt', { segments: 7 });
    await begin('small.txt', 'elsewhere.txt');
    const { rekey, response } = await begin('big.txt', 'moved.txt', { segmentLimit: 3 });
    expect(response).toMatchObject({ moreSegments: true, segmentCount: 7 });
    // One chunk goes up, then the client is gone.
    await sat.client.call(M.PutMoveKeys, { header: sat.header, operationId: response.operationId!, segmentKeys: pack(rekey.rewrapAll(unpack(response.segmentKeys))) });
    await sat.expectContent('photos', 'small.txt', small);
    await sat.expectContent('photos', 'big.txt', big);
    expect(await sat.objectAt('photos', 'moved.txt')).toBeUndefined();

    expect(await sat.metabase.deleteExpiredMoves(sat.clock.now(), 100)).toBe(0);
    sat.clock.advance(60_000);
    expect(await sat.metabase.deleteExpiredMoves(sat.clock.now(), 100)).toBe(1);
    await expect(sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: response.moveToken })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    await expect(sat.client.call(M.GetMoveSegments, { header: sat.header, operationId: response.operationId!, limit: 3 })).rejects.toMatchObject({ name: 'NotFoundError' });
    // The object moves fine afterwards.
    await moveObject(sat.deps, 'photos', 'big.txt', 'moved.txt', { chunkSize: 3 });
    await sat.expectContent('photos', 'moved.txt', big, { bucket: 'photos', path: 'big.txt' });
  });
});

describe('races between Begin and Finish, step by step', () => {
  it('a new upload to the old key in between: the located stream still moves, the upload stays', async () => {
    const original = await sat.seed('photos', 'race.txt', { segments: 3 });
    const { rekey, response } = await begin('race.txt', 'raced.txt');
    const fresh = await sat.seed('photos', 'race.txt', { segments: 2 });
    await sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: response.moveToken, segmentKeys: pack(rekey.rewrapAll(unpack(response.segmentKeys))) });
    await sat.expectContent('photos', 'raced.txt', original, { bucket: 'photos', path: 'race.txt' });
    await sat.expectContent('photos', 'race.txt', fresh);
  });

  it('the object deleted and uploaded again in between: Finish fails with "object was changed during move" and changes nothing', async () => {
    await sat.seed('photos', 'gone.txt', { segments: 3 });
    const { rekey, response } = await begin('gone.txt', 'there.txt', { segmentLimit: 2 });
    await sat.client.call(M.PutMoveKeys, { header: sat.header, operationId: response.operationId!, segmentKeys: pack(rekey.rewrapAll(unpack(response.segmentKeys))) });
    await sat.metabase.deleteObject({ projectId: sat.projectId, bucket: 'photos', objectKey: rekey.oldEncryptedKey });
    const again = await sat.seed('photos', 'gone.txt', { segments: 3 });
    const before = await snapshot();
    await expect(sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: response.moveToken })).rejects.toMatchObject({
      name: 'FailedPreconditionError', message: expect.stringContaining('object was changed during move'),
    });
    expect(await snapshot()).toEqual(before);
    await sat.expectContent('photos', 'gone.txt', again);
  });
});

describe('a Finish whose reply is lost', () => {
  function losingFirstReply(method: string): MoveClientDeps & { lost: () => boolean } {
    let lost = false;
    return {
      ...sat.deps,
      lost: () => lost,
      client: {
        call: (async (m: { name: string }, request: unknown, options: unknown) => {
          const reply = await sat.client.call(m as never, request as never, options as never);
          if (m.name === method && !lost) {
            lost = true;
            throw new UnavailableError('connection reset before the reply arrived');
          }
          return reply;
        }) as MoveClientDeps['client']['call'],
      },
    };
  }

  it('is retried and returns the move that happened, applied once — single-shot and chunked', async () => {
    for (const [name, chunkSize] of [['one', 10_000], ['two', 2]] as const) {
      const object = await sat.seed('photos', `${name}.txt`, { segments: 5, metadata: true });
      const deps = losingFirstReply('Metainfo.FinishMoveObject');
      const moved = await moveObject(deps, 'photos', `${name}.txt`, `${name}-moved.txt`, { chunkSize });
      expect(deps.lost()).toBe(true);
      expect(moved.object).toMatchObject({ streamId: object.object.streamId, version: 1 });
      await sat.expectContent('photos', `${name}-moved.txt`, object, { bucket: 'photos', path: `${name}.txt` });
    }
  });

  it('makes exactly one copy', async () => {
    const object = await sat.seed('photos', 'orig.txt', { segments: 3 });
    const deps = losingFirstReply('Metainfo.FinishCopyObject');
    const copy = await copyObject(deps, 'photos', 'orig.txt', 'copy.txt');
    expect(deps.lost()).toBe(true);
    expect(copy.object.version).toBe(1);
    await sat.expectContent('photos', 'copy.txt', object);
    const versions = await sat.metabase.listObjects({ projectId: sat.projectId, bucket: 'photos', prefix: encryptPath(sat.rootKey, 'photos', 'copy.txt'), recursive: true, limit: 10, allVersions: true });
    expect(versions.entries).toHaveLength(1);
  });
});

describe('forged finishes', () => {
  let object: Seeded;
  beforeEach(async () => {
    object = await sat.seed('photos', 'a.txt', { segments: 3 });
    await sat.seed('photos', 'b.txt', { segments: 4 });
  });

  it('wrong counts, keys for segments the object lacks, tampered tokens, other projects and other modes are refused; nothing changes', async () => {
    const { rekey, response } = await begin('a.txt', 'c.txt');
    const keys = rekey.rewrapAll(unpack(response.segmentKeys));
    const other = await sat.projects.createProject('other');
    const tampered = response.moveToken.slice();
    tampered[10] = tampered[10]! ^ 1;
    const copyBegin = await begin('a.txt', 'd.txt', { copy: true });
    const before = await snapshot();
    const attempts: [string, () => Promise<unknown>, string][] = [
      ['one key short', () => sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: response.moveToken, segmentKeys: pack(keys.slice(1)) }), 'InvalidArgumentError'],
      ['no keys', () => sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: response.moveToken }), 'InvalidArgumentError'],
      ['keys of other positions', () => sat.client.call(M.FinishMoveObject, {
        header: sat.header, moveToken: response.moveToken, segmentKeys: pack(keys.map((k) => ({ ...k, position: { part: 1, index: k.position.index } }))),
      }), 'InvalidArgumentError'],
      ['a key twice', () => sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: response.moveToken, segmentKeys: pack([keys[0]!, keys[0]!, keys[1]!]) }), 'InvalidArgumentError'],
      ['a tampered token', () => sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: tampered, segmentKeys: pack(keys) }), 'InvalidArgumentError'],
      ['another project', () => sat.client.call(M.FinishMoveObject, { header: { apiKey: other.apiKey }, moveToken: response.moveToken, segmentKeys: pack(keys) }), 'InvalidArgumentError'],
      ['a copy token to FinishMove', () => sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: copyBegin.response.moveToken, segmentKeys: pack(keys) }), 'InvalidArgumentError'],
      ['a move token to FinishCopy', () => sat.client.call(M.FinishCopyObject, { header: sat.header, moveToken: response.moveToken, segmentKeys: pack(keys) }), 'InvalidArgumentError'],
      ['an unknown API key', () => sat.client.call(M.FinishMoveObject, { header: { apiKey: 'hk1_nope' }, moveToken: response.moveToken, segmentKeys: pack(keys) }), 'PermissionDeniedError'],
    ];
    for (const [what, attempt, name] of attempts) await expect(attempt(), what).rejects.toMatchObject({ name });
    expect(await snapshot()).toEqual(before);
    // The honest finish still works.
    await sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: response.moveToken, segmentKeys: pack(keys) });
    await sat.expectContent('photos', 'c.txt', object, { bucket: 'photos', path: 'a.txt' });
  });

  it('a chunked operation is the caller\'s only, takes only its own object\'s segments, and its keys travel only by PutMoveKeys', async () => {
    const { rekey, response } = await begin('a.txt', 'c.txt', { segmentLimit: 2 });
    const operationId = response.operationId!;
    const other = await sat.projects.createProject('other');
    const keys = rekey.rewrapAll(unpack(response.segmentKeys));
    const before = await snapshot();
    await expect(sat.client.call(M.PutMoveKeys, { header: { apiKey: other.apiKey }, operationId, segmentKeys: pack(keys) })).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(sat.client.call(M.GetMoveSegments, { header: { apiKey: other.apiKey }, operationId, limit: 2 })).rejects.toMatchObject({ name: 'NotFoundError' });
    const b = await begin('b.txt', 'e.txt');
    const bKeys = pack(b.rekey.rewrapAll(unpack(b.response.segmentKeys))); // four positions: b has one more segment
    await expect(sat.client.call(M.PutMoveKeys, { header: sat.header, operationId, segmentKeys: bKeys })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: response.moveToken, segmentKeys: pack(keys) })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken: response.moveToken })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    expect(await snapshot()).toEqual(before);
  });

  it('the wrong root key cannot move an object, and the object stays whole', async () => {
    const stranger = { ...sat.deps, rootKey: new Uint8Array(32).fill(7) };
    // Its names encrypt differently: the object is not even found.
    await expect(moveObject(stranger, 'photos', 'a.txt', 'z.txt')).rejects.toMatchObject({ name: 'NotFoundError' });
    await sat.expectContent('photos', 'a.txt', object);
  });
});
