/**
 * `handoff/move`: server-side move and copy (seed 002, docs/move.md) — the satellite's
 * BeginMoveObject / FinishMoveObject service and the client's re-keying step.
 *
 * - `moveObject` / `copyObject` / `moveObjects`: the client over an `RpcClient`.
 * - `moveFlowTransition` (client) and `moveRequestTransition` (satellite): the protocol as pure
 *   machines, for hosts that drive them with their own transport or store; `runMoveFlow` and
 *   `registerMove` are the runners this package ships.
 */
export { registerMove } from './service.js';
export { MoveContext, type MoveDeps } from './context.js';
export { DEFAULT_MOVE_CONFIG, moveConfig, type MoveConfig } from './config.js';
export {
  BeginCopyObject, BeginMoveObject, FinishCopyObject, FinishMoveObject, GetMoveSegments, MAX_MOVE_CHUNK, MOVE_METHODS, PutMoveKeys, SegmentKeyPage,
} from './methods.js';
export { forEachSegmentKey, packSegmentKeys, unpackSegmentKeys } from './key-page.js';
export { copyObject, moveObject, rewrapKeyPage, type MoveClientDeps, type MovedObject, type MoveObjectOptions, type MoveProgress } from './client.js';
export {
  initialMoveFlow, moveFlowTransition, moveChunkSize, DEFAULT_MOVE_RETRY,
  type MovePlan, type MoveRetryPolicy, type MoveFlowState, type MoveFlowPhase, type MoveFlowEvent, type MoveFlowEffect, type MoveFlowStep,
  type MoveCall, type MoveCalls, type MoveStep, type MoveAnswer, type MoveMethodName, type PendingCall, type BegunMove,
} from './flow.js';
export { runMoveFlow, MOVE_FLOW_METHODS, type MoveFlowHost, type RunMoveFlowOptions } from './flow-runner.js';
export {
  initialMoveRequest, moveRequestTransition,
  type MoveRequest, type MoveRequestEvent, type MoveRequestEffect, type MoveReply, type MoveRequestState, type MoveRequestStep, type MoveRequestPhase,
} from './decisions.js';
export { MoveTokenSealer, type MoveTokenFields } from './token.js';
export { moveObjects, type MoveObjectsOptions, type PrefixMoveEntry, type PrefixMoveReport, type PrefixMoveStatus } from './prefix.js';
