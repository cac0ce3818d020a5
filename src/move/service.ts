import type { RpcServer } from '../rpc/server.js';
import { MoveContext, type MoveDeps } from './context.js';
import { moveHandlers } from './handlers.js';
import * as M from './methods.js';

/**
 * Registers server-side move and copy (seed 002) on a satellite's RPC server, next to the
 * metainfo service. The cleanup chore should call `metabase.deleteExpiredMoves` so abandoned
 * chunked moves do not linger.
 *
 * @example
 * ```ts
 * registerMetainfo(server, metainfoDeps);
 * registerMove(server, { identity, metabase, projects, clock: systemClock, onSegmentsDeleted: (s) => deleter.enqueue(s) });
 * ```
 */
export function registerMove(server: RpcServer, deps: MoveDeps): MoveContext {
  const ctx = new MoveContext(deps);
  const handlers = moveHandlers(ctx);
  server
    .unary(M.BeginMoveObject, handlers.beginMoveObject)
    .unary(M.BeginCopyObject, handlers.beginCopyObject)
    .unary(M.GetMoveSegments, handlers.getMoveSegments)
    .unary(M.PutMoveKeys, handlers.putMoveKeys)
    .unary(M.FinishMoveObject, handlers.finishMoveObject)
    .unary(M.FinishCopyObject, handlers.finishCopyObject);
  return ctx;
}
