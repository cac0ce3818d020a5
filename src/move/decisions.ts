/**
 * The satellite's side of move and copy as a pure machine: one request (Begin, Finish, a page of
 * keys, a put of keys) is `moveRequestTransition(state, event) → { state, effects }`, whose
 * effects name the reads and writes to make — authorization, the metabase, the token's MAC — and
 * end in a reply or a refusal. The runner (`moveHandlers`, handlers.ts) performs each and feeds
 * back its outcome. No clock, randomness or store here: `now` and fresh ids come with the request.
 *
 * ```text
 * Begin:  authorize ─► check key lengths ─► getObject(source, version)
 *           missing or expired ─► getBucket ─► NotFound (bucket, else object)
 *           found ─► [other bucket: getBucket] ─► [unless onto itself or overwrite: getObject(destination) ─► AlreadyExists]
 *           ─► more segments than the limit? beginMove (chunked) ─► listSegmentKeys ─► reply (token fields, first page)
 * Finish: authorize ─► openToken ─► expired / another project / another mode / keys beside an operation ─► refuse
 *           ─► finishMove ─► [segmentsDeleted] ─► reply (the object)
 * Page:   authorize ─► getMoveOperation ─► missing: NotFound, finished: FailedPrecondition ─► listSegmentKeys(limit + 1) ─► reply
 * Put:    authorize ─► unpack the page ─► putMoveKeys ─► reply
 * any effect that fails ─► refuse with its error;  replied and refused are final
 * ```
 */
import { equalBytes } from '../core/bytes.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../core/errors.js';
import { notExpired, objectInfo } from '../metainfo/endpoint/context.js';
import { moveErrors, type SegmentKey } from '../metainfo/metabase/move.js';
import type { ObjectRecord } from '../metainfo/metabase/types.js';
import type { MoveConfig } from './config.js';
import type { MoveReply, MoveRequest, MoveRequestEffect, MoveRequestEvent, MoveRequestPhase, MoveRequestState, MoveRequestStep } from './decisions-types.js';
import { packSegmentKeys, unpackSegmentKeys } from './key-page.js';
import { MAX_MOVE_CHUNK } from './methods.js';
import type { MoveTokenFields } from './token.js';

export * from './decisions-types.js';

/**
 * A satellite about to handle one move request.
 *
 * @example
 * ```ts
 * const step = moveRequestTransition(initialMoveRequest(config), { type: 'page', request, now: clock.now() });
 * // → [{ type: 'authorize', header: request.header }]
 * ```
 */
export function initialMoveRequest(config: MoveConfig): MoveRequestState {
  return { config, phase: 'idle' };
}

/**
 * Decides what `event` does to the request in `state`; after the reply or refusal nothing changes.
 *
 * @example
 * ```ts
 * let step = moveRequestTransition(initialMoveRequest(config), { type: 'put', request, now });
 * step = moveRequestTransition(step.state, { type: 'authorized', projectId }); // → putMoveKeys
 * step = moveRequestTransition(step.state, { type: 'stored' }); // → reply {}
 * ```
 */
export function moveRequestTransition(state: MoveRequestState, event: MoveRequestEvent): MoveRequestStep {
  if (state.phase === 'replied' || state.phase === 'refused') return { state, effects: [] };
  switch (event.type) {
    case 'begin':
    case 'finish':
    case 'page':
    case 'put':
      if (state.phase !== 'idle') return { state, effects: [] };
      return { state: { ...state, phase: 'authorizing', request: event }, effects: [{ type: 'authorize', header: event.request.header }] };
    case 'failed':
      return refuse(state, event.error);
    case 'authorized':
      return state.phase === 'authorizing' ? authorized({ ...state, projectId: event.projectId }) : ignored(state);
    default:
      return afterAuthorization(state, event);
  }
}

function authorized(state: MoveRequestState): MoveRequestStep {
  const request = state.request!;
  const projectId = state.projectId!;
  switch (request.type) {
    case 'begin': {
      const { config } = state;
      const req = request.request;
      for (const [field, key] of [['encryptedKey', req.encryptedKey], ['newEncryptedKey', req.newEncryptedKey]] as const) {
        if (key.length > config.maxKeyLength) return refuse(state, new InvalidArgumentError(`"${field}" is ${key.length} bytes, over the limit of ${config.maxKeyLength}`));
      }
      return go(state, 'locating', { type: 'getObject', location: { projectId, bucket: req.bucket, objectKey: req.encryptedKey }, version: req.version });
    }
    case 'finish':
      return go(state, 'openingToken', { type: 'openToken', token: request.request.moveToken });
    case 'page':
      return go(state, 'loadingOperation', { type: 'getMoveOperation', projectId, operationId: request.request.operationId, now: request.now });
    case 'put': {
      const keys = attempt(() => unpackSegmentKeys(request.request.segmentKeys, 'segmentKeys', MAX_MOVE_CHUNK));
      if (keys instanceof Error) return refuse(state, keys);
      return go(state, 'storing', { type: 'putMoveKeys', projectId, operationId: request.request.operationId, keys, now: request.now });
    }
  }
}

function afterAuthorization(state: MoveRequestState, event: Exclude<MoveRequestEvent, MoveRequest | { type: 'failed' | 'authorized' }>): MoveRequestStep {
  const request = state.request;
  switch (event.type) {
    case 'object':
      if (request?.type !== 'begin') return ignored(state);
      if (state.phase === 'locating') return located(state, request, event.object);
      // Fail early on a taken destination (Finish checks again, atomically).
      if (state.phase === 'destination') return event.object ? refuse(state, new AlreadyExistsError(moveErrors.destinationTaken)) : chunking(state, request);
      return ignored(state);
    case 'bucket': {
      if (request?.type !== 'begin') return ignored(state);
      const req = request.request;
      if (state.phase === 'sourceBucket') {
        if (!event.exists) return refuse(state, bucketNotFound(req.bucket));
        return refuse(state, new NotFoundError(req.version === undefined ? 'object not found' : `version ${req.version} of the object not found`));
      }
      if (state.phase === 'destinationBucket') return event.exists ? destination(state, request) : refuse(state, bucketNotFound(req.newBucket!));
      return ignored(state);
    }
    case 'stored':
      if (state.phase === 'opening' && request?.type === 'begin') return listFirstPage(state, request);
      if (state.phase === 'storing' && request?.type === 'put') return reply(state, { call: 'put', response: {} });
      return ignored(state);
    case 'keys':
      if (state.phase !== 'listing') return ignored(state);
      if (request?.type === 'begin') return begun(state, request, event.keys);
      if (request?.type === 'page') {
        const limit = state.limit!;
        const page = attempt(() => packSegmentKeys(event.keys.slice(0, limit)));
        return page instanceof Error ? refuse(state, page) : reply(state, { call: 'page', response: { segmentKeys: page, moreSegments: event.keys.length > limit } });
      }
      return ignored(state);
    case 'tokenOpened':
      return state.phase === 'openingToken' && request?.type === 'finish' ? tokenOpened(state, request, event.token) : ignored(state);
    case 'operation': {
      if (state.phase !== 'loadingOperation' || request?.type !== 'page') return ignored(state);
      const op = event.operation;
      if (!op) return refuse(state, new NotFoundError(moveErrors.operationNotFound));
      if (op.finishedStreamId) return refuse(state, new FailedPreconditionError(moveErrors.operationFinished));
      const limit = Math.min(request.request.limit, state.config.chunkSegments);
      // One more than sent tells whether more follow.
      return go({ ...state, limit }, 'listing', { type: 'listSegmentKeys', streamId: op.streamId, cursor: request.request.after, limit: limit + 1 });
    }
    case 'moved': {
      if (state.phase !== 'finishing' || request?.type !== 'finish') return ignored(state);
      const { result } = event;
      const deleted: MoveRequestEffect[] = result.deletedSegments.length > 0 ? [{ type: 'segmentsDeleted', segments: result.deletedSegments }] : [];
      const next = reply(state, { call: 'finish', response: { object: objectInfo(result.object) } });
      return { state: next.state, effects: [...deleted, ...next.effects] };
    }
  }
}

type Begin = Extract<MoveRequest, { type: 'begin' }>;

function located(state: MoveRequestState, request: Begin, found: ObjectRecord | undefined): MoveRequestStep {
  const req = request.request;
  // Pending streams are not objects yet, and expired ones are gone for readers: neither moves.
  const object = notExpired(found, request.now);
  if (!object) return go(state, 'sourceBucket', { type: 'getBucket', projectId: state.projectId!, bucket: req.bucket });
  const next = { ...state, object };
  const newBucket = req.newBucket ?? req.bucket;
  if (newBucket !== req.bucket) return go(next, 'destinationBucket', { type: 'getBucket', projectId: state.projectId!, bucket: newBucket });
  return destination(next, request);
}

function ontoItself(request: Begin): boolean {
  const req = request.request;
  return (req.newBucket ?? req.bucket) === req.bucket && equalBytes(req.newEncryptedKey, req.encryptedKey);
}

function destination(state: MoveRequestState, request: Begin): MoveRequestStep {
  const req = request.request;
  if (ontoItself(request) || req.overwrite === true) return chunking(state, request);
  return go(state, 'destination', { type: 'getObject', location: { projectId: state.projectId!, bucket: req.newBucket ?? req.bucket, objectKey: req.newEncryptedKey } });
}

/** An object with more segments than a page holds moves in chunks, under an operation the metabase keeps. */
function chunking(state: MoveRequestState, request: Begin): MoveRequestStep {
  const object = state.object!;
  const limit = beginLimit(state, request);
  if (ontoItself(request) || object.segmentCount <= limit) return listFirstPage(state, request);
  const { operationId } = request.ids;
  const source = { projectId: state.projectId!, bucket: request.request.bucket, objectKey: request.request.encryptedKey, version: object.version, streamId: object.streamId };
  return go({ ...state, operationId }, 'opening', { type: 'beginMove', begin: { operationId, source, createdAt: request.now, expiresAt: request.now + state.config.operationTtlMs } });
}

function beginLimit(state: MoveRequestState, request: Begin): number {
  return Math.min(request.request.segmentLimit ?? state.config.chunkSegments, state.config.chunkSegments);
}

function listFirstPage(state: MoveRequestState, request: Begin): MoveRequestStep {
  if (ontoItself(request)) return begun(state, request, []);
  return go(state, 'listing', { type: 'listSegmentKeys', streamId: state.object!.streamId, limit: beginLimit(state, request) });
}

function begun(state: MoveRequestState, request: Begin, keys: readonly SegmentKey[]): MoveRequestStep {
  const req = request.request;
  const object = state.object!;
  const { operationId } = state;
  const segmentKeys = attempt(() => packSegmentKeys(keys));
  if (segmentKeys instanceof Error) return refuse(state, segmentKeys);
  const token: MoveTokenFields = {
    mode: request.mode,
    projectId: state.projectId!,
    bucket: req.bucket,
    encryptedKey: req.encryptedKey,
    version: object.version,
    streamId: object.streamId,
    newBucket: req.newBucket ?? req.bucket,
    newEncryptedKey: req.newEncryptedKey,
    overwrite: req.overwrite === true,
    ...(request.mode === 'copy' ? { copyStreamId: request.ids.copyStreamId } : {}),
    ...(operationId ? { operationId } : {}),
    expiresAt: request.now + state.config.operationTtlMs,
  };
  const m = object.metadata;
  return reply(state, {
    call: 'begin',
    token,
    response: {
      streamId: object.streamId,
      version: object.version,
      segmentCount: object.segmentCount,
      ...(m ? { metadataKey: { encryptedMetadataKey: m.encryptedMetadataKey, encryptedMetadataKeyNonce: m.encryptedMetadataKeyNonce } } : {}),
      segmentKeys,
      moreSegments: operationId !== undefined,
      ...(operationId ? { operationId } : {}),
    },
  });
}

function tokenOpened(state: MoveRequestState, request: Extract<MoveRequest, { type: 'finish' }>, token: MoveTokenFields): MoveRequestStep {
  const req = request.request;
  if (token.expiresAt <= request.now) return refuse(state, new FailedPreconditionError('move expired: begin it again'));
  if (!equalBytes(token.projectId, state.projectId!)) return refuse(state, new InvalidArgumentError('"moveToken" belongs to another project'));
  if (token.mode !== request.mode) return refuse(state, new InvalidArgumentError(`"moveToken" was issued for a ${token.mode}`));
  if (token.operationId && req.segmentKeys !== undefined) return refuse(state, new InvalidArgumentError('"segmentKeys" of a chunked move go through PutMoveKeys'));
  const segments = token.operationId ? undefined : attempt(() => unpackSegmentKeys(req.segmentKeys ?? new Uint8Array(), 'segmentKeys', MAX_MOVE_CHUNK));
  if (segments instanceof Error) return refuse(state, segments);
  return go(state, 'finishing', {
    type: 'finishMove',
    finish: {
      mode: request.mode,
      source: { projectId: state.projectId!, bucket: token.bucket, objectKey: token.encryptedKey, version: token.version, streamId: token.streamId },
      destination: { bucket: token.newBucket, objectKey: token.newEncryptedKey },
      overwrite: token.overwrite,
      metadataKey: req.metadataKey,
      keys: token.operationId ? { operationId: token.operationId } : { segments: segments! },
      copyStreamId: token.copyStreamId,
      now: request.now,
    },
  });
}

function bucketNotFound(bucket: string): NotFoundError {
  return new NotFoundError(`bucket ${JSON.stringify(bucket)} not found`);
}

function go(state: MoveRequestState, phase: MoveRequestPhase, effect: MoveRequestEffect): MoveRequestStep {
  return { state: { ...state, phase }, effects: [effect] };
}

function reply(state: MoveRequestState, answer: MoveReply): MoveRequestStep {
  return { state: { ...state, phase: 'replied' }, effects: [{ type: 'reply', reply: answer }] };
}

function refuse(state: MoveRequestState, error: unknown): MoveRequestStep {
  return { state: { ...state, phase: 'refused' }, effects: [{ type: 'refuse', error }] };
}

/** An answer the request is not waiting for (a runner bug, or a host's): nothing changes. */
function ignored(state: MoveRequestState): MoveRequestStep {
  return { state, effects: [] };
}

function attempt<T>(f: () => T): T | Error {
  try {
    return f();
  } catch (err) {
    return err as Error;
  }
}
