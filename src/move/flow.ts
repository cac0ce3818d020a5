/**
 * The uplink's side of one move or copy as a pure machine: `moveFlowTransition(state, event) →
 * { state, effects }`. The runner (`runMoveFlow`, flow-runner.ts) makes the calls, re-wraps the
 * keys and keeps the retry timers the effects name, and feeds each outcome back as an event. No
 * clock, randomness, cryptography or network here: every branch is testable on plain data.
 *
 * ```text
 * idle ─start─► locating (onto itself: GetObject) ─► done
 *      └──────► beginning (Begin) ─► rekeying ─► finishing (Finish) ─► done
 * rekeying, small object:  re-wrap every key (and the metadata key) ─► Finish with the keys
 * rekeying, chunked:       page ─► re-wrap ─► put, pipelined: the next page travels while one is
 *                          re-wrapped and the previous one is put (about three pages in memory)
 * a key that does not open (Unauthenticated) ─► checking (GetObject of the located version)
 *      ─► FailedPrecondition "object was changed during move" when the stream is gone, else the error
 * Begin / GetObject NotFound ─► explaining (why the object may be invisible) ─► failed
 * any call Unavailable ─► retry after `retryBackoffMs × attempt`, up to `retryAttempts` attempts
 * abort ─► failed;   done and failed are final
 * ```
 */
import { equalBytes } from '../core/bytes.js';
import { FailedPreconditionError, InvalidArgumentError, isHandoffError } from '../core/errors.js';
import { moveErrors, type SegmentKey } from '../metainfo/metabase/move.js';
import type { SegmentPosition } from '../metainfo/metabase/types.js';
import type { ObjectInfo } from '../metainfo/schemas.js';
import { isBucketNotFound } from '../uplink/missing-object.js';
import {
  DEFAULT_MOVE_RETRY,
  type BegunMove, type MoveAnswer, type MoveCall, type MoveCalls, type MoveFlowEffect, type MoveFlowEvent, type MoveFlowPhase,
  type MoveFlowState, type MoveFlowStep, type MovePlan, type MoveRetryPolicy, type MoveStep, type PendingCall,
} from './flow-types.js';
import { unpackSegmentKeys } from './key-page.js';
import { MAX_MOVE_CHUNK } from './methods.js';

export * from './flow-types.js';
/** `chunkSize` checked: an integer in [1, {@link MAX_MOVE_CHUNK}] (default the maximum). */
export function moveChunkSize(chunkSize: number | undefined): number {
  const size = chunkSize ?? MAX_MOVE_CHUNK;
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_MOVE_CHUNK) {
    throw new InvalidArgumentError(`"chunkSize" expected an integer in [1, ${MAX_MOVE_CHUNK}], got ${String(size)}`);
  }
  return size;
}

/**
 * A flow about to start (`start` begins it). Throws InvalidArgument for a chunk size out of range.
 *
 * @example
 * ```ts
 * const rekey = rekeyObject(rootKey, { bucket, path: 'a.txt' }, { bucket, path: 'b.txt' });
 * let state = initialMoveFlow({ mode: 'move', header, bucket, newBucket: bucket, oldEncryptedKey: rekey.oldEncryptedKey,
 *   newEncryptedKey: rekey.newEncryptedKey, overwrite: false, chunkSize: 10_000 });
 * const step = moveFlowTransition(state, { type: 'start' }); // → call Metainfo.BeginMoveObject
 * ```
 */
export function initialMoveFlow(plan: MovePlan, retry: Partial<MoveRetryPolicy> = {}): MoveFlowState {
  moveChunkSize(plan.chunkSize);
  return { plan, retry: { ...DEFAULT_MOVE_RETRY, ...retry }, phase: 'idle', calls: {}, metadata: 'none', more: false, segmentsDone: 0 };
}

const TERMINAL: readonly MoveFlowPhase[] = ['done', 'failed'];

/**
 * Decides what `event` does to a move in `state`. Events that no longer apply (the answer of a
 * call the flow stopped waiting for, anything after the end) change nothing.
 *
 * @example
 * ```ts
 * let { state, effects } = moveFlowTransition(initialMoveFlow(plan), { type: 'start' });
 * // effects: [{ type: 'call', call: { step: 'begin', method: 'Metainfo.BeginMoveObject', request }, attempt: 1 }]
 * ({ state, effects } = moveFlowTransition(state, { type: 'answered', step: 'begin', response }));
 * ```
 */
export function moveFlowTransition(state: MoveFlowState, event: MoveFlowEvent): MoveFlowStep {
  if (TERMINAL.includes(state.phase)) return same(state);
  switch (event.type) {
    case 'start':
      return state.phase === 'idle' ? start(state) : same(state);
    case 'abort':
      return fail(state, event.error);
    case 'retryDue': {
      const pending = state.calls[event.step];
      if (!pending?.waiting) return same(state);
      const attempt = pending.attempt + 1;
      return {
        state: { ...state, calls: { ...state.calls, [event.step]: { call: pending.call, attempt, waiting: false } } },
        effects: [{ type: 'call', call: pending.call, attempt }],
      };
    }
    case 'callFailed':
      return callFailed(state, event.step, event.error);
    case 'answered':
      if (!state.calls[event.step] || state.calls[event.step]!.waiting) return same(state);
      return answered({ ...state, calls: without(state.calls, event.step) }, event);
    case 'rewrapped':
      if (state.phase !== 'rekeying' || state.rewrapping === undefined) return same(state);
      return advance({ ...state, rewrapping: undefined, rewrapped: { page: event.page, count: event.count } });
    case 'metadataRewrapped':
      if (state.phase !== 'rekeying' || state.metadata !== 'rewrapping') return same(state);
      return advance({ ...state, metadata: event.metadataKey });
    case 'rewrapFailed':
      return state.phase === 'rekeying' ? keyFailure(state, event.error) : same(state);
    case 'explained':
      return state.phase === 'explaining' ? fail(state, event.error) : same(state);
  }
}

function start(state: MoveFlowState): MoveFlowStep {
  const { plan } = state;
  const { header, bucket } = plan;
  const version = plan.version === undefined ? {} : { version: plan.version };
  if (plan.newBucket === bucket && equalBytes(plan.newEncryptedKey, plan.oldEncryptedKey)) {
    // Onto itself: nothing to re-key, only the object to report.
    return issue({ ...state, phase: 'locating' }, { step: 'locate', method: 'Metainfo.GetObject', request: { header, bucket, encryptedKey: plan.oldEncryptedKey, ...version } });
  }
  return issue({ ...state, phase: 'beginning' }, {
    step: 'begin',
    method: plan.mode === 'move' ? 'Metainfo.BeginMoveObject' : 'Metainfo.BeginCopyObject',
    request: {
      header,
      bucket,
      encryptedKey: plan.oldEncryptedKey,
      ...version,
      ...(plan.newBucket === bucket ? {} : { newBucket: plan.newBucket }),
      newEncryptedKey: plan.newEncryptedKey,
      ...(plan.overwrite ? { overwrite: true } : {}),
      segmentLimit: plan.chunkSize,
    },
  });
}

function answered(state: MoveFlowState, event: MoveAnswer): MoveFlowStep {
  switch (event.step) {
    case 'locate':
      return state.phase === 'locating' ? finished(state, event.response.object, []) : same(state);
    case 'begin':
      return state.phase === 'beginning' ? begun(state, event.response) : same(state);
    case 'page': {
      if (state.phase !== 'rekeying') return same(state);
      const keys = unpack(event.response.segmentKeys);
      if (keys instanceof Error) return fail(state, keys);
      return advance({ ...state, ready: keys, more: event.response.moreSegments });
    }
    case 'put': {
      if (state.phase !== 'rekeying' || state.putting === undefined) return same(state);
      const segmentsDone = state.segmentsDone + state.putting;
      const next = advance({ ...state, putting: undefined, segmentsDone });
      return { state: next.state, effects: [{ type: 'progress', segmentsDone, segmentCount: state.begun!.segmentCount }, ...next.effects] };
    }
    case 'finish': {
      if (state.phase !== 'finishing') return same(state);
      // Small objects report their keys all at once, when the satellite has taken them.
      const progress: MoveFlowEffect[] = state.begun!.operationId === undefined ? [{ type: 'progress', segmentsDone: state.begun!.segmentCount, segmentCount: state.begun!.segmentCount }] : [];
      return finished({ ...state, segmentsDone: state.begun!.segmentCount }, event.response.object, progress);
    }
    case 'check': {
      if (state.phase !== 'checking') return same(state);
      // Still exactly there: the keys really do not open (a wrong root key); report that, not a race.
      if (equalBytes(event.response.object.streamId, state.begun!.streamId)) return fail(state, state.cause);
      return fail(state, changed(state.cause));
    }
  }
}

function begun(state: MoveFlowState, response: MoveCalls['begin']['response']): MoveFlowStep {
  const begun: BegunMove = {
    moveToken: response.moveToken,
    streamId: response.streamId,
    version: response.version,
    segmentCount: response.segmentCount,
    ...(response.operationId === undefined ? {} : { operationId: response.operationId }),
  };
  const keys = unpack(response.segmentKeys);
  if (keys instanceof Error) return fail({ ...state, begun }, keys);
  const metadata: MoveFlowEffect[] = response.metadataKey ? [{ type: 'rewrapMetadata', metadataKey: response.metadataKey }] : [];
  const rekeying: MoveFlowState = { ...state, phase: 'rekeying', begun, metadata: response.metadataKey ? 'rewrapping' : 'none' };
  if (response.operationId === undefined) {
    // Small: every key came with Begin and goes back with Finish.
    return { state: { ...rekeying, rewrapping: keys.length }, effects: [...metadata, { type: 'rewrap', keys }] };
  }
  const next = advance({ ...rekeying, ready: keys, more: response.moreSegments });
  return { state: next.state, effects: [...metadata, ...next.effects] };
}

/**
 * Moves the chunked pipeline on as far as it can go: a re-wrapped page into a free put slot, a
 * ready page into a free re-wrapper (asking for the next page meanwhile), and Finish once every
 * page is put. Small objects only wait for their keys and metadata key.
 */
function advance(state: MoveFlowState): MoveFlowStep {
  const begun = state.begun!;
  const effects: MoveFlowEffect[] = [];
  let next = state;
  if (begun.operationId !== undefined) {
    const operationId = begun.operationId;
    if (next.rewrapped && next.putting === undefined) {
      const put: MoveCall = { step: 'put', method: 'Metainfo.PutMoveKeys', request: { header: next.plan.header, operationId, segmentKeys: next.rewrapped.page } };
      next = { ...next, putting: next.rewrapped.count, rewrapped: undefined, calls: { ...next.calls, put: { call: put, attempt: 1, waiting: false } } };
      effects.push({ type: 'call', call: put, attempt: 1 });
    }
    if (next.ready && next.rewrapping === undefined && next.rewrapped === undefined) {
      const keys = next.ready;
      // An empty page ends the keys, whatever it says about more: there is no cursor to go on from.
      next = { ...next, ready: undefined, ...(keys.length === 0 ? { more: false } : { rewrapping: keys.length }) };
      if (keys.length > 0) {
        if (next.more && !next.calls.page) {
          const after: SegmentPosition = keys[keys.length - 1]!.position;
          const page: MoveCall = { step: 'page', method: 'Metainfo.GetMoveSegments', request: { header: next.plan.header, operationId, after, limit: next.plan.chunkSize } };
          next = { ...next, more: false, calls: { ...next.calls, page: { call: page, attempt: 1, waiting: false } } };
          effects.push({ type: 'call', call: page, attempt: 1 });
        }
        effects.push({ type: 'rewrap', keys });
      }
    }
    const idle = !next.ready && !next.calls.page && next.rewrapping === undefined && !next.rewrapped && next.putting === undefined && !next.more;
    if (idle && next.metadata !== 'rewrapping') return finish(next, effects, {});
    return { state: next, effects };
  }
  if (next.rewrapped && next.metadata !== 'rewrapping') return finish(next, effects, { segmentKeys: next.rewrapped.page });
  return { state: next, effects };
}

function finish(state: MoveFlowState, effects: MoveFlowEffect[], keys: { segmentKeys?: Uint8Array }): MoveFlowStep {
  const metadataKey = typeof state.metadata === 'object' ? { metadataKey: state.metadata } : {};
  const call: MoveCall = {
    step: 'finish',
    method: state.plan.mode === 'move' ? 'Metainfo.FinishMoveObject' : 'Metainfo.FinishCopyObject',
    request: { header: state.plan.header, moveToken: state.begun!.moveToken, ...metadataKey, ...keys },
  };
  const next = issue({ ...state, phase: 'finishing', rewrapped: undefined }, call);
  return { state: next.state, effects: [...effects, ...next.effects] };
}

function callFailed(state: MoveFlowState, step: MoveStep, error: unknown): MoveFlowStep {
  const pending = state.calls[step];
  if (!pending || pending.waiting) return same(state);
  // Every call may repeat: Begin only reads (or opens an operation that expires), a page is a
  // read, a put replaces its own keys, and Finish returns the move that already happened.
  if (isHandoffError(error, 'Unavailable') && pending.attempt < state.retry.retryAttempts) {
    return {
      state: { ...state, calls: { ...state.calls, [step]: { ...pending, waiting: true } } },
      effects: [{ type: 'scheduleRetry', step, afterMs: state.retry.retryBackoffMs * pending.attempt }],
    };
  }
  const rest = { ...state, calls: without(state.calls, step) };
  switch (step) {
    case 'locate':
    case 'begin':
      // A missing source is named as typed, with why it may be missing (another passphrase).
      if (isHandoffError(error, 'NotFound') && !isBucketNotFound(error)) return { state: { ...rest, phase: 'explaining' }, effects: [{ type: 'explainMissing', error }] };
      return fail(rest, error);
    case 'page':
    case 'put':
      return keyFailure(rest, error);
    case 'check':
      return fail(rest, isHandoffError(error, 'NotFound') ? changed(state.cause) : error);
    case 'finish':
      return fail(rest, error);
  }
}

/**
 * A key that does not open under the old path: a wrong root key — or keys another move re-wrapped
 * while these were read. The second is this move losing a race; look at the source to say which.
 */
function keyFailure(state: MoveFlowState, error: unknown): MoveFlowStep {
  if (!isHandoffError(error, 'Unauthenticated')) return fail(state, error);
  const { plan, begun } = state;
  const stopped = stopCalls(state);
  const check: MoveCall = { step: 'check', method: 'Metainfo.GetObject', request: { header: plan.header, bucket: plan.bucket, encryptedKey: plan.oldEncryptedKey, version: begun!.version } };
  const next = issue({ ...stopped.state, phase: 'checking', cause: error }, check);
  return { state: next.state, effects: [...stopped.effects, ...next.effects] };
}

function changed(cause: unknown): FailedPreconditionError {
  return new FailedPreconditionError(moveErrors.changed, { cause });
}

function finished(state: MoveFlowState, object: ObjectInfo, effects: MoveFlowEffect[]): MoveFlowStep {
  return { state: { ...state, phase: 'done', object }, effects: [...effects, { type: 'done', object }] };
}

function fail(state: MoveFlowState, error: unknown): MoveFlowStep {
  const stopped = stopCalls(state);
  return { state: { ...stopped.state, phase: 'failed', error }, effects: [...stopped.effects, { type: 'fail', error }] };
}

/** Forgets every call (their answers are ignored from now on) and cancels the retry timers. */
function stopCalls(state: MoveFlowState): MoveFlowStep {
  const effects: MoveFlowEffect[] = [];
  for (const [step, pending] of Object.entries(state.calls) as [MoveStep, PendingCall][]) {
    if (pending.waiting) effects.push({ type: 'cancelRetry', step });
  }
  return { state: { ...state, calls: {}, ready: undefined, rewrapping: undefined, rewrapped: undefined, putting: undefined }, effects };
}

function issue(state: MoveFlowState, call: MoveCall): MoveFlowStep {
  return { state: { ...state, calls: { ...state.calls, [call.step]: { call, attempt: 1, waiting: false } } }, effects: [{ type: 'call', call, attempt: 1 }] };
}

function without(calls: MoveFlowState['calls'], step: MoveStep): MoveFlowState['calls'] {
  const rest = { ...calls };
  delete rest[step];
  return rest;
}

function unpack(page: Uint8Array): SegmentKey[] | Error {
  try {
    return unpackSegmentKeys(page);
  } catch (err) {
    return err as Error;
  }
}

function same(state: MoveFlowState): MoveFlowStep {
  return { state, effects: [] };
}
