/**
 * The satellite's move and copy handlers: the runner of the pure request machine
 * (decisions.ts). Each request is fed to {@link moveRequestTransition} with the time and fresh
 * ids; each effect is performed against the API key authority, the metabase or the token sealer,
 * and its outcome fed back, until the machine replies or refuses. No handler contacts a storage
 * node: a move touches no piece.
 */
import { InternalError } from '../core/errors.js';
import type { Req } from '../metainfo/endpoint/types.js';
import type { ObjectInfo } from '../metainfo/schemas.js';
import type { AccessRequest } from '../projects/caveat.js';
import type { MoveContext } from './context.js';
import { initialMoveRequest, moveRequestTransition, type MoveReply, type MoveRequest, type MoveRequestEffect, type MoveRequestEvent } from './decisions.js';
import type * as M from './methods.js';

type BeginReq = Req<typeof M.BeginMoveObject>;
type FinishReq = Req<typeof M.FinishMoveObject>;

export function moveHandlers(ctx: MoveContext) {
  const run = <C extends MoveReply['call']>(call: C, request: MoveRequest) => runMoveRequest(ctx, request).then((reply) => answer(ctx, call, reply));
  return {
    beginMoveObject: (request: BeginReq) => run('begin', { type: 'begin', mode: 'move', request, now: ctx.now(), ids: ctx.newIds() }),
    beginCopyObject: (request: BeginReq) => run('begin', { type: 'begin', mode: 'copy', request, now: ctx.now(), ids: ctx.newIds() }),
    finishMoveObject: (request: FinishReq): Promise<{ object: ObjectInfo }> => run('finish', { type: 'finish', mode: 'move', request, now: ctx.now() }),
    finishCopyObject: (request: FinishReq): Promise<{ object: ObjectInfo }> => run('finish', { type: 'finish', mode: 'copy', request, now: ctx.now() }),
    getMoveSegments: (request: Req<typeof M.GetMoveSegments>) => run('page', { type: 'page', request, now: ctx.now() }),
    putMoveKeys: (request: Req<typeof M.PutMoveKeys>) => run('put', { type: 'put', request, now: ctx.now() }),
  };
}

/** The wire response of `reply`; a Begin's token is sealed here, the only secret the machine does not hold. */
type Answer<C extends MoveReply['call']> = C extends 'begin' ? Extract<MoveReply, { call: 'begin' }>['response'] & { moveToken: Uint8Array } : Extract<MoveReply, { call: C }>['response'];

function answer<C extends MoveReply['call']>(ctx: MoveContext, call: C, reply: MoveReply): Answer<C> {
  if (reply.call !== call) throw new InternalError(`move: a ${call} request was answered as a ${reply.call}`);
  if (reply.call === 'begin') return { moveToken: ctx.sealer.seal(reply.token), ...reply.response } as Answer<C>;
  return reply.response as Answer<C>;
}

/** Drives one request to its reply; throws the refusal. */
async function runMoveRequest(ctx: MoveContext, request: MoveRequest): Promise<MoveReply> {
  let state = initialMoveRequest(ctx.config);
  let event: MoveRequestEvent = request;
  for (;;) {
    const step = moveRequestTransition(state, event);
    state = step.state;
    let next: MoveRequestEvent | undefined;
    for (const effect of step.effects) {
      if (effect.type === 'reply') return effect.reply;
      if (effect.type === 'refuse') throw effect.error;
      if (effect.type === 'segmentsDeleted') ctx.segmentsDeleted(effect.segments);
      else next = await perform(ctx, effect, request).catch((error: unknown): MoveRequestEvent => ({ type: 'failed', error }));
    }
    if (next === undefined) throw new InternalError(`move: the request stopped in phase ${state.phase} without an answer`);
    event = next;
  }
}

/**
 * What a restricted API key must allow for `request`. Begin names both ends: a move writes (it
 * removes) its source, a copy reads it, and both write the destination. The later calls carry a
 * token or operation id that only that Begin's caller received, bound to the project; they need a
 * key that may write.
 */
function accessRequests(request: MoveRequest): AccessRequest[] {
  if (request.type !== 'begin') return [{ op: 'write' }];
  const { bucket, encryptedKey, newBucket, newEncryptedKey } = request.request;
  return [
    { op: request.mode === 'move' ? 'write' : 'read', bucket, encryptedKey },
    { op: 'write', bucket: newBucket ?? bucket, encryptedKey: newEncryptedKey },
  ];
}

/** Performs one effect; its outcome is the next event. */
async function perform(ctx: MoveContext, effect: Exclude<MoveRequestEffect, { type: 'reply' | 'refuse' | 'segmentsDeleted' }>, request: MoveRequest): Promise<MoveRequestEvent> {
  const { metabase } = ctx;
  switch (effect.type) {
    case 'authorize':
      return { type: 'authorized', projectId: await ctx.authorize(effect.header, ...accessRequests(request)) };
    case 'getObject':
      return { type: 'object', object: await metabase.getObject(effect.location, effect.version) };
    case 'getBucket':
      return { type: 'bucket', exists: (await metabase.getBucket(effect.projectId, effect.bucket)) !== undefined };
    case 'beginMove':
      await metabase.beginMove(effect.begin);
      return { type: 'stored' };
    case 'listSegmentKeys':
      return { type: 'keys', keys: await metabase.listSegmentKeys(effect.streamId, { cursor: effect.cursor, limit: effect.limit }) };
    case 'openToken':
      return { type: 'tokenOpened', token: ctx.sealer.unseal(effect.token) };
    case 'getMoveOperation':
      return { type: 'operation', operation: await metabase.getMoveOperation(effect.projectId, effect.operationId, effect.now) };
    case 'putMoveKeys':
      await metabase.putMoveKeys(effect.projectId, effect.operationId, effect.keys, effect.now);
      return { type: 'stored' };
    case 'finishMove':
      return { type: 'moved', result: await metabase.finishMove(effect.finish) };
  }
}
