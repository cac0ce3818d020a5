/**
 * The uplink's move flow as a pure machine, on plain data: every branch — onto itself, small and
 * chunked objects, the pipeline's bounds, retries after a lost connection, the race check after
 * a key that does not open, a missing object explained, aborts — without a network, a key or a
 * timer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isHandoffError, FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError, UnauthenticatedError, UnavailableError,
} from '../../src/core/errors.js';
import type { SegmentKey } from '../../src/metainfo/metabase/move.js';
import type { ObjectInfo } from '../../src/metainfo/schemas.js';
import {
  initialMoveFlow, moveFlowTransition, type MoveCall, type MoveCalls, type MoveFlowEffect, type MoveFlowEvent, type MoveFlowState, type MovePlan, type MoveStep,
} from '../../src/move/flow.js';
import { packSegmentKeys, unpackSegmentKeys } from '../../src/move/key-page.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const header = { apiKey: 'hk1_test' };
const plan: MovePlan = {
  mode: 'move', header, bucket: 'photos', newBucket: 'photos', oldEncryptedKey: bytes(8, 1), newEncryptedKey: bytes(8, 2), overwrite: false, chunkSize: 10_000,
};
const streamId = bytes(16, 3);
const object = (over: Partial<ObjectInfo> = {}): ObjectInfo => ({
  bucket: 'photos', encryptedKey: bytes(8, 2), version: 1, streamId, status: 'committed', createdAt: 1, segmentCount: 0, ...over,
} as ObjectInfo);
const keysAt = (from: number, count: number): SegmentKey[] =>
  Array.from({ length: count }, (_, i) => ({ position: { part: 0, index: from + i }, encryptedKey: bytes(48, from + i), encryptedKeyNonce: bytes(24, 9) }));
const metadataKey = { encryptedMetadataKey: bytes(48, 5), encryptedMetadataKeyNonce: bytes(24, 6) };
const token = bytes(40, 7);
const operationId = bytes(16, 8);

function begin(over: Partial<MoveCalls['begin']['response']> & { keys?: SegmentKey[] } = {}): MoveCalls['begin']['response'] {
  const { keys = keysAt(0, 2), ...rest } = over;
  return { moveToken: token, streamId, version: 1, segmentCount: keys.length, segmentKeys: packSegmentKeys(keys), moreSegments: false, ...rest };
}

/** Runs events through the machine from `state`, collecting every effect. */
function drive(state: MoveFlowState, ...events: MoveFlowEvent[]): { state: MoveFlowState; effects: MoveFlowEffect[] } {
  const effects: MoveFlowEffect[] = [];
  for (const event of events) {
    const step = moveFlowTransition(state, event);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const calls = (effects: readonly MoveFlowEffect[]) => effects.flatMap((e) => (e.type === 'call' ? [e.call] : []));
const answer = <K extends MoveStep>(step: K, response: MoveCalls[K]['response']) => ({ type: 'answered', step, response }) as MoveFlowEvent;
const started = (p: Partial<MovePlan> = {}) => drive(initialMoveFlow({ ...plan, ...p }), { type: 'start' });
const failure = (effects: readonly MoveFlowEffect[]) => effects.find((e) => e.type === 'fail') as { error: Error } | undefined;

describe('starting', () => {
  it('asks Begin for exactly what the plan says, with optional fields only when they differ from the defaults', () => {
    expect(calls(started().effects)).toEqual([{
      step: 'begin', method: 'Metainfo.BeginMoveObject',
      request: { header, bucket: 'photos', encryptedKey: plan.oldEncryptedKey, newEncryptedKey: plan.newEncryptedKey, segmentLimit: 10_000 },
    }]);
    expect(calls(started({ mode: 'copy', newBucket: 'archive', version: 3, overwrite: true, chunkSize: 7 }).effects)).toEqual([{
      step: 'begin', method: 'Metainfo.BeginCopyObject',
      request: { header, bucket: 'photos', encryptedKey: plan.oldEncryptedKey, version: 3, newBucket: 'archive', newEncryptedKey: plan.newEncryptedKey, overwrite: true, segmentLimit: 7 },
    }]);
  });

  it('onto itself only looks the object up, and reports it without progress', () => {
    const { state, effects } = started({ newEncryptedKey: plan.oldEncryptedKey, version: 2 });
    expect(state.phase).toBe('locating');
    expect(calls(effects)).toEqual([{ step: 'locate', method: 'Metainfo.GetObject', request: { header, bucket: 'photos', encryptedKey: plan.oldEncryptedKey, version: 2 } }]);
    const done = drive(state, answer('locate', { object: object() }));
    expect(done.effects).toEqual([{ type: 'done', object: object() }]);
    expect(done.state.phase).toBe('done');
    // The same key in another bucket is a real move.
    expect(started({ newEncryptedKey: plan.oldEncryptedKey, newBucket: 'archive' }).state.phase).toBe('beginning');
  });

  it('refuses a chunk size out of range; a second start and anything after the end change nothing', () => {
    for (const chunkSize of [0, 10_001, 1.5, Number.NaN]) expect(() => initialMoveFlow({ ...plan, chunkSize })).toThrow(InvalidArgumentError);
    const { state } = started();
    expect(moveFlowTransition(state, { type: 'start' })).toEqual({ state, effects: [] });
    const failed = drive(state, { type: 'abort', error: new Error('stop') }).state;
    for (const event of [{ type: 'start' }, answer('begin', begin()), { type: 'abort', error: 1 }, { type: 'retryDue', step: 'begin' }] as MoveFlowEvent[]) {
      expect(moveFlowTransition(failed, event)).toEqual({ state: failed, effects: [] });
    }
  });
});

describe('a small object', () => {
  it('re-wraps every key and the metadata key, then finishes with both, reporting all keys once taken', () => {
    const keys = keysAt(0, 3);
    let { state, effects } = drive(started().state, answer('begin', begin({ keys, metadataKey })));
    expect(state.phase).toBe('rekeying');
    expect(effects.map((e) => e.type)).toEqual(['rewrapMetadata', 'rewrap']);
    expect((effects[1] as Extract<MoveFlowEffect, { type: 'rewrap' }>).keys.map((k) => k.position.index)).toEqual([0, 1, 2]);
    const page = bytes(30, 1);
    // Keys first: Finish still waits for the metadata key.
    ({ state, effects } = drive(state, { type: 'rewrapped', page, count: 3 }));
    expect(effects).toEqual([]);
    const newMetadata = { encryptedMetadataKey: bytes(48, 11), encryptedMetadataKeyNonce: bytes(24, 12) };
    ({ state, effects } = drive(state, { type: 'metadataRewrapped', metadataKey: newMetadata }));
    expect(calls(effects)).toEqual([{ step: 'finish', method: 'Metainfo.FinishMoveObject', request: { header, moveToken: token, metadataKey: newMetadata, segmentKeys: page } }]);
    ({ state, effects } = drive(state, answer('finish', { object: object({ segmentCount: 3 }) })));
    expect(effects).toEqual([{ type: 'progress', segmentsDone: 3, segmentCount: 3 }, { type: 'done', object: object({ segmentCount: 3 }) }]);
    expect(state.phase).toBe('done');
  });

  it('without metadata finishes as soon as the keys are re-wrapped; a copy finishes with FinishCopyObject', () => {
    const { state } = drive(started({ mode: 'copy' }).state, answer('begin', begin()));
    expect(state.metadata).toBe('none');
    const { effects } = drive(state, { type: 'rewrapped', page: bytes(4, 0), count: 2 });
    expect(calls(effects)).toEqual([{ step: 'finish', method: 'Metainfo.FinishCopyObject', request: { header, moveToken: token, segmentKeys: bytes(4, 0) } }]);
  });

  it('an object without segments still sends its (empty) keys and reports 0 of 0', () => {
    const { state, effects } = drive(started().state, answer('begin', begin({ keys: [] })));
    expect(effects).toEqual([{ type: 'rewrap', keys: [] }]);
    const end = drive(state, { type: 'rewrapped', page: new Uint8Array(), count: 0 }, answer('finish', { object: object() }));
    expect(end.effects.filter((e) => e.type === 'progress')).toEqual([{ type: 'progress', segmentsDone: 0, segmentCount: 0 }]);
  });

  it('a page from the satellite that does not parse fails the move with InvalidArgument', () => {
    const { effects, state } = drive(started().state, answer('begin', { ...begin(), segmentKeys: bytes(5, 0) }));
    expect(failure(effects)?.error).toBeInstanceOf(InvalidArgumentError);
    expect(state.phase).toBe('failed');
  });
});

describe('a chunked object', () => {
  const chunked = (over: Parameters<typeof begin>[0] = {}) => begin({ keys: keysAt(0, 2), segmentCount: 5, moreSegments: true, operationId, ...over });

  it('asks for the next page while re-wrapping one, puts it while re-wrapping the next, and finishes after the last put', () => {
    let { state, effects } = drive(started({ chunkSize: 2 }).state, answer('begin', chunked()));
    expect(calls(effects)).toEqual([{ step: 'page', method: 'Metainfo.GetMoveSegments', request: { header, operationId, after: { part: 0, index: 1 }, limit: 2 } }]);
    expect(effects.filter((e) => e.type === 'rewrap')).toHaveLength(1);

    ({ state, effects } = drive(state, { type: 'rewrapped', page: bytes(2, 0), count: 2 }));
    expect(calls(effects)).toEqual([{ step: 'put', method: 'Metainfo.PutMoveKeys', request: { header, operationId, segmentKeys: bytes(2, 0) } }]);

    // Page 2 arrives while page 1 is put: it is re-wrapped, and page 3 asked for.
    ({ state, effects } = drive(state, answer('page', { segmentKeys: packSegmentKeys(keysAt(2, 2)), moreSegments: true })));
    expect(effects.map((e) => e.type)).toEqual(['call', 'rewrap']);
    expect(calls(effects)[0]!.request).toMatchObject({ after: { part: 0, index: 3 } });

    // Page 2 re-wrapped before put 1 answered: it waits for the put slot.
    ({ state, effects } = drive(state, { type: 'rewrapped', page: bytes(2, 2), count: 2 }));
    expect(effects).toEqual([]);
    // Page 3 (the last) arrives: it waits for the re-wrapper's output to be taken.
    ({ state, effects } = drive(state, answer('page', { segmentKeys: packSegmentKeys(keysAt(4, 1)), moreSegments: false })));
    expect(effects).toEqual([]);
    expect(state).toMatchObject({ putting: 2, rewrapped: { count: 2 }, ready: [expect.anything()] });

    ({ state, effects } = drive(state, answer('put', {})));
    expect(effects.map((e) => e.type)).toEqual(['progress', 'call', 'rewrap']);
    expect(effects[0]).toEqual({ type: 'progress', segmentsDone: 2, segmentCount: 5 });
    expect(calls(effects)[0]!.step).toBe('put');

    ({ state, effects } = drive(state, { type: 'rewrapped', page: bytes(1, 4), count: 1 }, answer('put', {})));
    expect(effects.map((e) => e.type)).toEqual(['progress', 'call']);
    ({ state, effects } = drive(state, answer('put', {})));
    expect(effects[0]).toEqual({ type: 'progress', segmentsDone: 5, segmentCount: 5 });
    // A chunked Finish carries no keys: they are under the operation.
    expect(calls(effects)).toEqual([{ step: 'finish', method: 'Metainfo.FinishMoveObject', request: { header, moveToken: token } }]);
    ({ state, effects } = drive(state, answer('finish', { object: object({ segmentCount: 5 }) })));
    expect(effects).toEqual([{ type: 'done', object: object({ segmentCount: 5 }) }]);
  });

  it('an empty page ends the keys even when it says more follow (there is no cursor to go on from)', () => {
    let { state } = drive(started({ chunkSize: 2 }).state, answer('begin', chunked()), { type: 'rewrapped', page: bytes(2, 0), count: 2 });
    let effects: MoveFlowEffect[];
    ({ state, effects } = drive(state, answer('page', { segmentKeys: new Uint8Array(), moreSegments: true })));
    expect(effects).toEqual([]);
    ({ state, effects } = drive(state, answer('put', {})));
    expect(calls(effects).map((c) => c.step)).toEqual(['finish']);
  });

  it('waits for the metadata key before finishing', () => {
    let { state } = drive(started({ chunkSize: 2 }).state, answer('begin', chunked({ keys: keysAt(0, 2), segmentCount: 2, moreSegments: false, metadataKey })));
    let effects: MoveFlowEffect[];
    ({ state, effects } = drive(state, { type: 'rewrapped', page: bytes(2, 0), count: 2 }, answer('put', {})));
    expect(calls(effects).map((c) => c.step)).toEqual(['put']);
    ({ state, effects } = drive(state, { type: 'metadataRewrapped', metadataKey }));
    expect(calls(effects)).toEqual([{ step: 'finish', method: 'Metainfo.FinishMoveObject', request: { header, moveToken: token, metadataKey } }]);
  });

  it('whatever order the answers come in, every key is put once in order, at most three pages are held, and Finish comes last', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.array(fc.nat(), { maxLength: 400 }), (count, chunk, choices) => {
        const all = keysAt(0, count);
        const pageAfter = (after: number) => all.filter((k) => k.position.index > after).slice(0, chunk);
        const first = all.slice(0, chunk);
        let { state, effects } = drive(started({ chunkSize: chunk }).state, answer('begin', begin({ keys: first, segmentCount: count, moreSegments: count > chunk, ...(count > chunk ? { operationId } : {}) })));
        // Outstanding work, completed in the order `choices` picks.
        const pending: MoveFlowEvent[] = [];
        const put: number[] = [];
        let finished = false;
        let c = 0;
        const absorb = (list: readonly MoveFlowEffect[]) => {
          for (const e of list) {
            if (e.type === 'rewrap') pending.push({ type: 'rewrapped', page: packSegmentKeys(e.keys), count: e.keys.length });
            if (e.type !== 'call') continue;
            const { step, request } = e.call as MoveCall & { request: { after?: { index: number }; segmentKeys?: Uint8Array } };
            if (step === 'page') {
              const keys = pageAfter(request.after!.index);
              const last = keys.at(-1)?.position.index ?? count;
              pending.push(answer('page', { segmentKeys: packSegmentKeys(keys), moreSegments: last < count - 1 }));
            } else if (step === 'put') {
              put.push(...unpackSegmentKeys(request.segmentKeys!).map((k) => k.position.index));
              pending.push(answer('put', {}));
            } else if (step === 'finish') {
              expect(pending.filter((p) => p.type !== 'answered' || p.step !== 'finish')).toEqual([]);
              if (request.segmentKeys) put.push(...unpackSegmentKeys(request.segmentKeys).map((k) => k.position.index));
              finished = true;
            }
          }
        };
        absorb(effects);
        while (pending.length > 0) {
          const [event] = pending.splice(choices[c++ % Math.max(1, choices.length)]! % pending.length, 1);
          ({ state, effects } = drive(state, event!));
          const held = (state.ready ? 1 : 0) + (state.rewrapping !== undefined ? 1 : 0) + (state.rewrapped ? 1 : 0) + (state.putting !== undefined ? 1 : 0) + (state.calls.page ? 1 : 0);
          expect(held).toBeLessThanOrEqual(count > chunk ? 3 : 1);
          expect(state.ready && state.calls.page).toBeFalsy();
          absorb(effects);
        }
        expect(finished).toBe(true);
        expect(put).toEqual(all.map((k) => k.position.index));
      }),
      { numRuns: 300 },
    );
  });
});

describe('a lost connection', () => {
  it('is retried with a growing wait, up to the attempts allowed, then fails the move', () => {
    let { state, effects } = drive(started().state, { type: 'callFailed', step: 'begin', error: new UnavailableError('reset') });
    expect(effects).toEqual([{ type: 'scheduleRetry', step: 'begin', afterMs: 50 }]);
    // An answer or failure of the call while its retry waits belongs to no attempt.
    expect(moveFlowTransition(state, answer('begin', begin())).effects).toEqual([]);
    expect(moveFlowTransition(state, { type: 'callFailed', step: 'begin', error: new UnavailableError('x') }).effects).toEqual([]);
    ({ state, effects } = drive(state, { type: 'retryDue', step: 'begin' }));
    expect(effects).toEqual([{ type: 'call', call: calls(started().effects)[0], attempt: 2 }]);
    // A retryDue for a call that is not waiting does nothing.
    expect(moveFlowTransition(state, { type: 'retryDue', step: 'begin' }).effects).toEqual([]);
    ({ state, effects } = drive(state, { type: 'callFailed', step: 'begin', error: new UnavailableError('reset') }));
    expect(effects).toEqual([{ type: 'scheduleRetry', step: 'begin', afterMs: 100 }]);
    const lost = new UnavailableError('still down');
    ({ state, effects } = drive(state, { type: 'retryDue', step: 'begin' }, { type: 'callFailed', step: 'begin', error: lost }));
    expect(failure(effects)?.error).toBe(lost);
    expect(state.phase).toBe('failed');
  });

  it('a Finish whose reply was lost is sent again, and its second answer ends the move', () => {
    const policy = drive(initialMoveFlow(plan, { retryAttempts: 2, retryBackoffMs: 7 }), { type: 'start' }, answer('begin', begin()), { type: 'rewrapped', page: bytes(3, 0), count: 2 });
    let { state, effects } = drive(policy.state, { type: 'callFailed', step: 'finish', error: new UnavailableError('reply lost') });
    expect(effects).toEqual([{ type: 'scheduleRetry', step: 'finish', afterMs: 7 }]);
    ({ state, effects } = drive(state, { type: 'retryDue', step: 'finish' }));
    expect(effects).toEqual([{ type: 'call', call: calls(policy.effects).at(-1), attempt: 2 }]);
    ({ effects } = drive(state, answer('finish', { object: object() })));
    expect(effects.at(-1)).toEqual({ type: 'done', object: object() });
  });

  it('other errors are not retried: a Finish refused fails the move with the refusal', () => {
    const { state } = drive(started().state, answer('begin', begin()), { type: 'rewrapped', page: bytes(3, 0), count: 2 });
    const refused = new FailedPreconditionError('object was changed during move');
    expect(failure(drive(state, { type: 'callFailed', step: 'finish', error: refused }).effects)?.error).toBe(refused);
  });
});

describe('a missing object', () => {
  it('is explained (another passphrase?) before failing — for Begin and for a move onto itself', () => {
    for (const p of [{}, { newEncryptedKey: plan.oldEncryptedKey }]) {
      const { state } = started(p);
      const missing = new NotFoundError('object not found');
      let next = drive(state, { type: 'callFailed', step: state.phase === 'locating' ? 'locate' : 'begin', error: missing });
      expect(next.effects).toEqual([{ type: 'explainMissing', error: missing }]);
      expect(next.state.phase).toBe('explaining');
      const explained = new NotFoundError('object "a.txt" not found in bucket "photos"');
      next = drive(next.state, { type: 'explained', error: explained });
      expect(failure(next.effects)?.error).toBe(explained);
    }
  });

  it('a missing bucket and other refusals need no explaining', () => {
    for (const error of [new NotFoundError('bucket "photos" not found'), new PermissionDeniedError('invalid API key')]) {
      expect(failure(drive(started().state, { type: 'callFailed', step: 'begin', error }).effects)?.error).toBe(error);
    }
    // An explanation nobody asked for changes nothing.
    expect(moveFlowTransition(started().state, { type: 'explained', error: 1 }).effects).toEqual([]);
  });
});

describe('a key that does not open under the old path', () => {
  const chunkedKeys = () => drive(started({ chunkSize: 2 }).state, answer('begin', begin({ keys: keysAt(0, 2), segmentCount: 6, moreSegments: true, operationId })));
  const wrongKey = new UnauthenticatedError('wrapped key does not open');

  it('checks the located version: gone or replaced — the move lost a race (FailedPrecondition); still there — the error itself', () => {
    let { state, effects } = drive(chunkedKeys().state, { type: 'rewrapFailed', error: wrongKey });
    expect(state.phase).toBe('checking');
    expect(calls(effects)).toEqual([{ step: 'check', method: 'Metainfo.GetObject', request: { header, bucket: 'photos', encryptedKey: plan.oldEncryptedKey, version: 1 } }]);
    // The page asked for before the failure answers late: nobody waits for it.
    expect(moveFlowTransition(state, answer('page', { segmentKeys: new Uint8Array(), moreSegments: false })).effects).toEqual([]);

    const raced = failure(drive(state, answer('check', { object: object({ streamId: bytes(16, 99) }) })).effects)!.error;
    expect(raced).toBeInstanceOf(FailedPreconditionError);
    expect(raced.message).toBe('object was changed during move');
    expect(raced.cause).toBe(wrongKey);
    expect(failure(drive(state, answer('check', { object: object() })).effects)!.error).toBe(wrongKey);
    expect(failure(drive(state, { type: 'callFailed', step: 'check', error: new NotFoundError('gone') }).effects)!.error).toMatchObject({ name: 'FailedPreconditionError', cause: wrongKey });
    const broken = new PermissionDeniedError('revoked');
    expect(failure(drive(state, { type: 'callFailed', step: 'check', error: broken }).effects)!.error).toBe(broken);
  });

  it('the same holds for a put or a page the satellite refuses as unauthenticated, and the metadata key; other failures fail at once', () => {
    const { state } = chunkedKeys();
    expect(drive(state, { type: 'callFailed', step: 'page', error: wrongKey }).state.phase).toBe('checking');
    const putting = drive(state, { type: 'rewrapped', page: bytes(2, 0), count: 2 }).state;
    expect(drive(putting, { type: 'callFailed', step: 'put', error: wrongKey }).state.phase).toBe('checking');
    const metadata = drive(started().state, answer('begin', begin({ metadataKey }))).state;
    expect(drive(metadata, { type: 'rewrapFailed', error: wrongKey }).state.phase).toBe('checking');
    const other = new InvalidArgumentError('segment keys do not match');
    expect(failure(drive(putting, { type: 'callFailed', step: 'put', error: other }).effects)!.error).toBe(other);
    expect(failure(drive(state, { type: 'rewrapFailed', error: other }).effects)!.error).toBe(other);
  });

  it('cancels the retries that were waiting', () => {
    const waiting = drive(chunkedKeys().state, { type: 'callFailed', step: 'page', error: new UnavailableError('reset') }).state;
    expect(drive(waiting, { type: 'rewrapFailed', error: wrongKey }).effects[0]).toEqual({ type: 'cancelRetry', step: 'page' });
  });
});

describe('an abort', () => {
  it('fails the move with its reason at any point, cancelling waiting retries', () => {
    const waiting = drive(started().state, { type: 'callFailed', step: 'begin', error: new UnavailableError('reset') }).state;
    const reason = new Error('canceled');
    const { state, effects } = drive(waiting, { type: 'abort', error: reason });
    expect(effects).toEqual([{ type: 'cancelRetry', step: 'begin' }, { type: 'fail', error: reason }]);
    expect(state).toMatchObject({ phase: 'failed', error: reason, calls: {} });
  });
});

describe('any sequence of events', () => {
  const event: fc.Arbitrary<MoveFlowEvent> = fc.oneof(
    fc.constant({ type: 'start' } as const),
    fc.constantFrom<MoveStep>('locate', 'begin', 'page', 'put', 'finish', 'check').chain((step) =>
      fc.oneof(
        fc.constant({ type: 'retryDue', step } as const),
        fc.constantFrom(new UnavailableError('x'), new NotFoundError('y'), new UnauthenticatedError('z')).map((error) => ({ type: 'callFailed', step, error }) as const),
      )),
    fc.record({ keys: fc.integer({ min: 0, max: 5 }), more: fc.boolean(), chunked: fc.boolean(), meta: fc.boolean() }).map(({ keys, more, chunked, meta }) =>
      answer('begin', begin({ keys: keysAt(0, keys), segmentCount: keys + (more ? 3 : 0), moreSegments: more, ...(chunked ? { operationId } : {}), ...(meta ? { metadataKey } : {}) }))),
    fc.record({ keys: fc.integer({ min: 0, max: 3 }), more: fc.boolean() }).map(({ keys, more }) => answer('page', { segmentKeys: packSegmentKeys(keysAt(10, keys)), moreSegments: more })),
    // Whatever bytes a satellite sends as a page: keys or a typed refusal, never a throw.
    fc.record({ page: fc.uint8Array({ maxLength: 80 }), more: fc.boolean() }).map(({ page, more }) => answer('page', { segmentKeys: page, moreSegments: more })),
    fc.uint8Array({ maxLength: 80 }).map((page) => answer('begin', { ...begin(), segmentKeys: page, operationId })),
    fc.constant(answer('put', {})),
    fc.constant(answer('finish', { object: object() })),
    fc.constant(answer('check', { object: object() })),
    fc.constant(answer('locate', { object: object() })),
    fc.constant({ type: 'rewrapped', page: bytes(3, 0), count: 2 } as const),
    fc.constant({ type: 'metadataRewrapped', metadataKey } as const),
    fc.constant({ type: 'rewrapFailed', error: new UnauthenticatedError('x') } as const),
    fc.constant({ type: 'explained', error: new NotFoundError('x') } as const),
  );

  it('never throws (malformed pages included), ends at most once, and is silent after its end', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(event, { maxLength: 40 }), (onto, events) => {
        let state = initialMoveFlow(onto ? { ...plan, newEncryptedKey: plan.oldEncryptedKey } : plan);
        let ends = 0;
        for (const e of events) {
          const wasOver = state.phase === 'done' || state.phase === 'failed';
          const step = moveFlowTransition(state, e);
          if (wasOver) expect(step.effects).toEqual([]);
          ends += step.effects.filter((x) => x.type === 'done' || x.type === 'fail').length;
          state = step.state;
        }
        expect(ends).toBeLessThanOrEqual(1);
        expect(ends === 1).toBe(state.phase === 'done' || state.phase === 'failed');
        if (state.phase === 'failed') expect(isHandoffError(state.error) || state.error instanceof Error).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
