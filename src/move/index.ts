/**
 * `handoff/move`: server-side move and copy (seed 002, docs/move.md) — the satellite's
 * BeginMoveObject / FinishMoveObject service and the client's re-keying step.
 */
export { registerMove } from './service.js';
export { MoveContext, type MoveDeps } from './context.js';
export { DEFAULT_MOVE_CONFIG, moveConfig, type MoveConfig } from './config.js';
export {
  BeginCopyObject, BeginMoveObject, FinishCopyObject, FinishMoveObject, GetMoveSegments, MAX_MOVE_CHUNK, MOVE_METHODS, PutMoveKeys, SegmentKeyPage,
} from './methods.js';
export { forEachSegmentKey, packSegmentKeys, unpackSegmentKeys } from './key-page.js';
export { copyObject, moveObject, type MoveClientDeps, type MovedObject, type MoveObjectOptions, type MoveProgress } from './client.js';
export { moveObjects, type MoveObjectsOptions, type PrefixMoveEntry, type PrefixMoveReport, type PrefixMoveStatus } from './prefix.js';
