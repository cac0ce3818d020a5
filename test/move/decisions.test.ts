/**
 * The satellite's move decisions as a pure machine, on plain data: each request's path through
 * authorization, lookups and the metabase, every refusal with its exact wording, and the replies
 * — without a store, a clock or a random source.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailedPreconditionError, PermissionDeniedError } from '../../src/core/errors.js';
import type { MoveOperation, MoveResult, SegmentKey } from '../../src/metainfo/metabase/move.js';
import type { ObjectRecord, SegmentRecord } from '../../src/metainfo/metabase/types.js';
import { moveConfig } from '../../src/move/config.js';
import {
  initialMoveRequest, moveRequestTransition, type MoveRequest, type MoveRequestEffect, type MoveRequestEvent, type MoveRequestState,
} from '../../src/move/decisions.js';
import { packSegmentKeys, unpackSegmentKeys } from '../../src/move/key-page.js';
import type { MoveTokenFields } from '../../src/move/token.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const config = moveConfig({ chunkSegments: 100, operationTtlMs: 1000, maxKeyLength: 16 });
const header = { apiKey: 'hk1_test' };
const projectId = bytes(16, 1);
const NOW = 5000;
const ids = { operationId: bytes(16, 2), copyStreamId: bytes(16, 3) };
const source = (over: Partial<ObjectRecord> = {}): ObjectRecord => ({
  projectId, bucket: 'photos', objectKey: bytes(8, 4), version: 2, streamId: bytes(16, 5), status: 'committed', createdAt: 1, committedAt: 1,
  expiresAt: undefined, uploadDeadline: undefined, segmentCount: 3, totalPlainSize: 10, totalEncryptedSize: 12, redundancy: {} as never, encryption: {} as never, metadata: undefined, ...over,
});
const keysAt = (from: number, count: number): SegmentKey[] =>
  Array.from({ length: count }, (_, i) => ({ position: { part: 0, index: from + i }, encryptedKey: bytes(48, from + i), encryptedKeyNonce: bytes(24, 9) }));

type BeginRequest = Extract<MoveRequest, { type: 'begin' }>['request'];
const beginRequest = (over: Partial<BeginRequest> = {}): MoveRequest => ({
  type: 'begin', mode: 'move', now: NOW, ids, request: { header, bucket: 'photos', encryptedKey: bytes(8, 4), newEncryptedKey: bytes(8, 6), ...over },
});

function drive(...events: MoveRequestEvent[]): { state: MoveRequestState; effects: MoveRequestEffect[] } {
  let state = initialMoveRequest(config);
  const effects: MoveRequestEffect[] = [];
  for (const event of events) {
    const step = moveRequestTransition(state, event);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const last = (effects: readonly MoveRequestEffect[]) => effects.at(-1)!;
const refusal = (effects: readonly MoveRequestEffect[]) => {
  const end = last(effects);
  if (end.type !== 'refuse') throw new Error(`expected a refusal, got ${end.type}`);
  return end.error as Error;
};
const authorized = { type: 'authorized', projectId } as const;
const found = (object: ObjectRecord | undefined) => ({ type: 'object', object }) as const;

describe('every request', () => {
  it('starts with the API key, and an unknown one is refused with the authority\'s error', () => {
    const { state, effects } = drive(beginRequest());
    expect(effects).toEqual([{ type: 'authorize', header }]);
    expect(state.phase).toBe('authorizing');
    const denied = new PermissionDeniedError('invalid API key');
    expect(refusal(drive(beginRequest(), { type: 'failed', error: denied }).effects)).toBe(denied);
  });

  it('ignores answers it is not waiting for, a second request, and anything after its reply or refusal', () => {
    const waiting = drive(beginRequest()).state;
    for (const event of [found(source()), { type: 'bucket', exists: true }, { type: 'stored' }, { type: 'keys', keys: [] }, beginRequest()] as MoveRequestEvent[]) {
      expect(moveRequestTransition(waiting, event)).toEqual({ state: waiting, effects: [] });
    }
    const refused = drive(beginRequest(), { type: 'failed', error: new Error('x') }).state;
    expect(refused.phase).toBe('refused');
    expect(moveRequestTransition(refused, authorized)).toEqual({ state: refused, effects: [] });
  });
});

describe('Begin', () => {
  it('refuses keys over the configured length, naming the field', () => {
    expect(refusal(drive(beginRequest({ encryptedKey: bytes(17, 0) }), authorized).effects).message).toBe('"encryptedKey" is 17 bytes, over the limit of 16');
    expect(refusal(drive(beginRequest({ newEncryptedKey: bytes(20, 0) }), authorized).effects)).toMatchObject({ name: 'InvalidArgumentError', message: '"newEncryptedKey" is 20 bytes, over the limit of 16' });
  });

  it('a missing, pending-only or expired source is NotFound — naming the bucket when it is the bucket that is missing', () => {
    const located = drive(beginRequest({ version: 7 }), authorized);
    expect(last(located.effects)).toEqual({ type: 'getObject', location: { projectId, bucket: 'photos', objectKey: bytes(8, 4) }, version: 7 });
    for (const object of [undefined, source({ expiresAt: NOW })]) {
      const { effects } = drive(beginRequest({ version: 7 }), authorized, found(object));
      expect(last(effects)).toEqual({ type: 'getBucket', projectId, bucket: 'photos' });
    }
    const missing = (exists: boolean, version?: number) => refusal(drive(beginRequest(version ? { version } : {}), authorized, found(undefined), { type: 'bucket', exists }).effects);
    expect(missing(true, 7)).toMatchObject({ name: 'NotFoundError', message: 'version 7 of the object not found' });
    expect(missing(true)).toMatchObject({ name: 'NotFoundError', message: 'object not found' });
    expect(missing(false)).toMatchObject({ name: 'NotFoundError', message: 'bucket "photos" not found' });
  });

  it('another bucket must exist; a taken destination is AlreadyExists unless overwrite', () => {
    const across = drive(beginRequest({ newBucket: 'archive' }), authorized, found(source()));
    expect(last(across.effects)).toEqual({ type: 'getBucket', projectId, bucket: 'archive' });
    expect(refusal(drive(beginRequest({ newBucket: 'archive' }), authorized, found(source()), { type: 'bucket', exists: false }).effects).message).toBe('bucket "archive" not found');
    const checked = drive(beginRequest({ newBucket: 'archive' }), authorized, found(source()), { type: 'bucket', exists: true });
    expect(last(checked.effects)).toEqual({ type: 'getObject', location: { projectId, bucket: 'archive', objectKey: bytes(8, 6) } });
    expect(refusal(drive(beginRequest(), authorized, found(source()), found(source())).effects)).toMatchObject({ name: 'AlreadyExistsError', message: 'destination object already exists' });
    // With overwrite there is nothing to look up: straight to the keys.
    expect(last(drive(beginRequest({ overwrite: true }), authorized, found(source())).effects).type).toBe('listSegmentKeys');
  });

  it('a small object: every key in the reply, a token with no operation; a copy\'s token carries its new stream id', () => {
    const object = source({ metadata: { encryptedMetadata: bytes(4, 0), encryptedMetadataKey: bytes(48, 1), encryptedMetadataKeyNonce: bytes(24, 2) } as never });
    for (const mode of ['move', 'copy'] as const) {
      const request = { ...beginRequest({ segmentLimit: 3 }), mode } as MoveRequest;
      const listed = drive(request, authorized, found(object), found(undefined));
      expect(last(listed.effects)).toEqual({ type: 'listSegmentKeys', streamId: object.streamId, limit: 3 });
      const { state, effects } = drive(request, authorized, found(object), found(undefined), { type: 'keys', keys: keysAt(0, 3) });
      expect(state.phase).toBe('replied');
      const token: MoveTokenFields = {
        mode, projectId, bucket: 'photos', encryptedKey: bytes(8, 4), version: 2, streamId: object.streamId, newBucket: 'photos', newEncryptedKey: bytes(8, 6),
        overwrite: false, ...(mode === 'copy' ? { copyStreamId: ids.copyStreamId } : {}), expiresAt: NOW + 1000,
      };
      expect(last(effects)).toEqual({
        type: 'reply',
        reply: {
          call: 'begin', token,
          response: {
            streamId: object.streamId, version: 2, segmentCount: 3, metadataKey: { encryptedMetadataKey: bytes(48, 1), encryptedMetadataKeyNonce: bytes(24, 2) },
            segmentKeys: packSegmentKeys(keysAt(0, 3)), moreSegments: false,
          },
        },
      });
    }
  });

  it('more segments than the limit (the client\'s, capped by the satellite\'s): an operation is opened first, and the reply says more follow', () => {
    const object = source({ segmentCount: 150 });
    const opened = drive(beginRequest({ segmentLimit: 10_000 }), authorized, found(object), found(undefined));
    expect(last(opened.effects)).toEqual({
      type: 'beginMove',
      begin: { operationId: ids.operationId, source: { projectId, bucket: 'photos', objectKey: bytes(8, 4), version: 2, streamId: object.streamId }, createdAt: NOW, expiresAt: NOW + 1000 },
    });
    const listed = drive(beginRequest({ segmentLimit: 10_000 }), authorized, found(object), found(undefined), { type: 'stored' });
    expect(last(listed.effects)).toEqual({ type: 'listSegmentKeys', streamId: object.streamId, limit: 100 });
    const { effects } = drive(beginRequest({ segmentLimit: 10_000 }), authorized, found(object), found(undefined), { type: 'stored' }, { type: 'keys', keys: keysAt(0, 100) });
    const reply = last(effects) as Extract<MoveRequestEffect, { type: 'reply' }>;
    expect(reply.reply).toMatchObject({ call: 'begin', token: { operationId: ids.operationId }, response: { moreSegments: true, operationId: ids.operationId, segmentCount: 150 } });
    expect(reply.reply.call === 'begin' && 'copyStreamId' in reply.reply.token).toBe(false);
  });

  it('onto itself: no destination check, no operation, no keys — whatever the size', () => {
    const object = source({ segmentCount: 5000 });
    const { effects } = drive(beginRequest({ newEncryptedKey: bytes(8, 4) }), authorized, found(object));
    expect(effects.map((e) => e.type)).toEqual(['authorize', 'getObject', 'reply']);
    expect(last(effects)).toMatchObject({ reply: { response: { segmentKeys: new Uint8Array(), moreSegments: false } } });
  });

  it('a store error anywhere refuses with it; keys the store holds that do not pack are refused, never sent', () => {
    const broken = new Error('disk on fire');
    expect(refusal(drive(beginRequest(), authorized, found(source()), found(undefined), { type: 'failed', error: broken }).effects)).toBe(broken);
    const bad = [{ position: { part: 0, index: 0 }, encryptedKey: new Uint8Array(), encryptedKeyNonce: bytes(24, 0) }];
    expect(refusal(drive(beginRequest(), authorized, found(source()), found(undefined), { type: 'keys', keys: bad }).effects).name).toBe('InvalidArgumentError');
  });
});

describe('Finish', () => {
  const token = (over: Partial<MoveTokenFields> = {}): MoveTokenFields => ({
    mode: 'move', projectId, bucket: 'photos', encryptedKey: bytes(8, 4), version: 2, streamId: bytes(16, 5), newBucket: 'archive', newEncryptedKey: bytes(8, 6),
    overwrite: true, expiresAt: NOW + 1, ...over,
  });
  type FinishRequest = Extract<MoveRequest, { type: 'finish' }>['request'];
  const finish = (over: Partial<FinishRequest> = {}, mode: 'move' | 'copy' = 'move'): MoveRequest => ({ type: 'finish', mode, now: NOW, request: { header, moveToken: bytes(40, 7), ...over } });
  const opened = (t: MoveTokenFields, request = finish()) => drive(request, authorized, { type: 'tokenOpened', token: t });

  it('opens the token, and refuses one that expired, of another project, of another mode, or keys beside an operation', () => {
    expect(last(drive(finish(), authorized).effects)).toEqual({ type: 'openToken', token: bytes(40, 7) });
    const forged = new Error('"moveToken" was not issued by this satellite');
    expect(refusal(drive(finish(), authorized, { type: 'failed', error: forged }).effects)).toBe(forged);
    expect(refusal(opened(token({ expiresAt: NOW })).effects)).toMatchObject({ name: 'FailedPreconditionError', message: 'move expired: begin it again' });
    expect(refusal(opened(token({ projectId: bytes(16, 9) })).effects).message).toBe('"moveToken" belongs to another project');
    expect(refusal(opened(token({ mode: 'copy' })).effects).message).toBe('"moveToken" was issued for a copy');
    expect(refusal(opened(token({ operationId: bytes(16, 2) }), finish({ segmentKeys: packSegmentKeys(keysAt(0, 1)) })).effects).message).toBe('"segmentKeys" of a chunked move go through PutMoveKeys');
    expect(refusal(opened(token(), finish({ segmentKeys: bytes(5, 1) })).effects).name).toBe('InvalidArgumentError');
  });

  it('hands the metabase exactly what the token located, with the keys of the request or of the operation', () => {
    const keys = keysAt(0, 3);
    const metadataKey = { encryptedMetadataKey: bytes(48, 1), encryptedMetadataKeyNonce: bytes(24, 2) };
    const single = last(opened(token(), finish({ segmentKeys: packSegmentKeys(keys), metadataKey })).effects) as Extract<MoveRequestEffect, { type: 'finishMove' }>;
    expect(single.finish).toMatchObject({
      mode: 'move', source: { projectId, bucket: 'photos', objectKey: bytes(8, 4), version: 2, streamId: bytes(16, 5) }, destination: { bucket: 'archive', objectKey: bytes(8, 6) },
      overwrite: true, metadataKey, copyStreamId: undefined, now: NOW,
    });
    expect('segments' in single.finish.keys && single.finish.keys.segments.map((k) => k.position.index)).toEqual([0, 1, 2]);
    const chunked = last(opened(token({ mode: 'copy', operationId: bytes(16, 2), copyStreamId: bytes(16, 3) }), finish({}, 'copy')).effects);
    expect(chunked).toMatchObject({ type: 'finishMove', finish: { mode: 'copy', keys: { operationId: bytes(16, 2) }, copyStreamId: bytes(16, 3) } });
    // No keys at all for a single-shot move: an empty set, which the store refuses as the wrong count.
    expect(last(opened(token()).effects)).toMatchObject({ finish: { keys: { segments: [] } } });
  });

  it('replies with the object, telling about segments an overwrite released first; a store refusal is the reply', () => {
    const result = (deleted: number): MoveResult => ({ object: source({ bucket: 'archive', objectKey: bytes(8, 6) }), deletedSegments: Array(deleted).fill({} as SegmentRecord), changed: true });
    const done = drive(finish(), authorized, { type: 'tokenOpened', token: token() }, { type: 'moved', result: result(2) });
    expect(done.effects.slice(-2).map((e) => e.type)).toEqual(['segmentsDeleted', 'reply']);
    expect(last(done.effects)).toMatchObject({ reply: { call: 'finish', response: { object: { bucket: 'archive', encryptedKey: bytes(8, 6), version: 2 } } } });
    expect(drive(finish(), authorized, { type: 'tokenOpened', token: token() }, { type: 'moved', result: result(0) }).effects.map((e) => e.type)).not.toContain('segmentsDeleted');
    const changed = new FailedPreconditionError('object was changed during move');
    expect(refusal(drive(finish(), authorized, { type: 'tokenOpened', token: token() }, { type: 'failed', error: changed }).effects)).toBe(changed);
  });
});

describe('pages and puts of a chunked move', () => {
  const page = (limit: number, after?: { part: number; index: number }): MoveRequest => ({ type: 'page', now: NOW, request: { header, operationId: bytes(16, 2), limit, ...(after ? { after } : {}) } });
  const operation = (over: Partial<MoveOperation> = {}): MoveOperation => ({
    operationId: bytes(16, 2), projectId, streamId: bytes(16, 5), segmentCount: 300, createdAt: 0, expiresAt: NOW + 10, finishedStreamId: undefined, ...over,
  });

  it('a page: only a live, unfinished operation of the caller\'s project; one key more than sent tells whether more follow', () => {
    expect(last(drive(page(5), authorized).effects)).toEqual({ type: 'getMoveOperation', projectId, operationId: bytes(16, 2), now: NOW });
    expect(refusal(drive(page(5), authorized, { type: 'operation', operation: undefined }).effects)).toMatchObject({ name: 'NotFoundError', message: 'move operation not found or expired' });
    expect(refusal(drive(page(5), authorized, { type: 'operation', operation: operation({ finishedStreamId: bytes(16, 5) }) }).effects)).toMatchObject({ name: 'FailedPreconditionError', message: 'move operation already finished' });
    const after = { part: 0, index: 4 };
    expect(last(drive(page(500, after), authorized, { type: 'operation', operation: operation() }).effects)).toEqual({ type: 'listSegmentKeys', streamId: bytes(16, 5), cursor: after, limit: 101 });
    const full = drive(page(2, after), authorized, { type: 'operation', operation: operation() }, { type: 'keys', keys: keysAt(5, 3) });
    expect(last(full.effects)).toEqual({ type: 'reply', reply: { call: 'page', response: { segmentKeys: packSegmentKeys(keysAt(5, 2)), moreSegments: true } } });
    const end = drive(page(2, after), authorized, { type: 'operation', operation: operation() }, { type: 'keys', keys: keysAt(5, 2) });
    expect(last(end.effects)).toMatchObject({ reply: { response: { moreSegments: false } } });
    const bad = [{ position: { part: 0, index: 5 }, encryptedKey: bytes(48, 0), encryptedKeyNonce: new Uint8Array() }];
    expect(refusal(drive(page(2, after), authorized, { type: 'operation', operation: operation() }, { type: 'keys', keys: bad }).effects).name).toBe('InvalidArgumentError');
  });

  it('a put: the page must parse (after authorization), then the store keeps it', () => {
    const put = (segmentKeys: Uint8Array): MoveRequest => ({ type: 'put', now: NOW, request: { header, operationId: bytes(16, 2), segmentKeys } });
    expect(drive(put(bytes(12, 0))).effects).toEqual([{ type: 'authorize', header }]);
    expect(refusal(drive(put(bytes(12, 0)), authorized).effects).name).toBe('InvalidArgumentError');
    const stored = drive(put(packSegmentKeys(keysAt(0, 2))), authorized);
    const effect = last(stored.effects) as Extract<MoveRequestEffect, { type: 'putMoveKeys' }>;
    expect(effect).toMatchObject({ type: 'putMoveKeys', projectId, operationId: bytes(16, 2), now: NOW });
    expect(effect.keys.map((k) => k.position.index)).toEqual([0, 1]);
    expect(last(drive(put(packSegmentKeys(keysAt(0, 2))), authorized, { type: 'stored' }).effects)).toEqual({ type: 'reply', reply: { call: 'put', response: {} } });
  });
});

describe('any sequence of answers', () => {
  const request = fc.oneof(
    fc.record({ segmentLimit: fc.integer({ min: 1, max: 200 }), onto: fc.boolean(), overwrite: fc.boolean(), across: fc.boolean() }).map(({ segmentLimit, onto, overwrite, across }) =>
      beginRequest({ segmentLimit, overwrite, ...(onto ? { newEncryptedKey: bytes(8, 4) } : {}), ...(across ? { newBucket: 'archive' } : {}) })),
    fc.uint8Array({ maxLength: 60 }).map((segmentKeys): MoveRequest => ({ type: 'finish', mode: 'move', now: NOW, request: { header, moveToken: bytes(40, 0), segmentKeys } })),
    fc.integer({ min: 1, max: 200 }).map((limit): MoveRequest => ({ type: 'page', now: NOW, request: { header, operationId: bytes(16, 2), limit } })),
    fc.uint8Array({ maxLength: 60 }).map((segmentKeys): MoveRequest => ({ type: 'put', now: NOW, request: { header, operationId: bytes(16, 2), segmentKeys } })),
  );
  const answer: fc.Arbitrary<MoveRequestEvent> = fc.oneof(
    fc.constant(authorized),
    fc.option(fc.integer({ min: 0, max: 300 }).map((segmentCount) => source({ segmentCount })), { nil: undefined }).map(found),
    fc.boolean().map((exists) => ({ type: 'bucket', exists }) as const),
    fc.constant({ type: 'stored' } as const),
    fc.integer({ min: 0, max: 5 }).map((n) => ({ type: 'keys', keys: keysAt(0, n) }) as const),
    fc.integer({ min: NOW - 1, max: NOW + 1 }).map((expiresAt) => ({ type: 'tokenOpened', token: { mode: 'move', projectId, bucket: 'b', encryptedKey: bytes(1, 1), version: 1, streamId: bytes(16, 1), newBucket: 'b', newEncryptedKey: bytes(1, 2), overwrite: false, expiresAt } }) as const),
    fc.option(fc.constant({ operationId: bytes(16, 2), projectId, streamId: bytes(16, 5), segmentCount: 3, createdAt: 0, expiresAt: NOW + 1, finishedStreamId: undefined }), { nil: undefined }).map((operation) => ({ type: 'operation', operation }) as const),
    fc.constant<MoveRequestEvent>({ type: 'moved', result: { object: source(), deletedSegments: [], changed: true } }),
    fc.constant({ type: 'failed', error: new Error('x') } as const),
  );

  it('never throws, ends in exactly one reply or refusal at most, and each step names at most one thing to wait for', () => {
    fc.assert(
      fc.property(request, fc.array(answer, { maxLength: 12 }), (first, answers) => {
        let state = initialMoveRequest(config);
        let ends = 0;
        for (const event of [first, ...answers]) {
          const step = moveRequestTransition(state, event);
          state = step.state;
          const waits = step.effects.filter((e) => e.type !== 'reply' && e.type !== 'refuse' && e.type !== 'segmentsDeleted');
          expect(waits.length).toBeLessThanOrEqual(1);
          ends += step.effects.length - waits.length - step.effects.filter((e) => e.type === 'segmentsDeleted').length;
          for (const effect of step.effects) if (effect.type === 'reply' && effect.reply.call === 'page') unpackSegmentKeys(effect.reply.response.segmentKeys);
        }
        expect(ends).toBeLessThanOrEqual(1);
        expect(ends === 1).toBe(state.phase === 'replied' || state.phase === 'refused');
      }),
      { numRuns: 500 },
    );
  });
});
