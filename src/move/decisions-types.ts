/**
 * The data of the satellite's move decisions (decisions.ts): the requests, the answers its runner
 * feeds back, the effects it asks for, and its state. Plain data only.
 */
import type { Req } from '../metainfo/endpoint/types.js';
import type { BeginMove, FinishMove, MoveMode, MoveOperation, MoveResult, SegmentKey } from '../metainfo/metabase/move.js';
import type { ObjectLocation } from '../metainfo/metabase/port.js';
import type { ObjectRecord, ProjectId, SegmentPosition, SegmentRecord, StreamId } from '../metainfo/metabase/types.js';
import type { MoveConfig } from './config.js';
import type * as M from './methods.js';
import type { MoveTokenFields } from './token.js';

type Res<T> = T extends { readonly response: { parse(v: unknown, path?: string): infer R } } ? R : never;

/** A request as it arrived (already schema-checked), with the time and the ids a Begin may need. */
export type MoveRequest =
  | {
      readonly type: 'begin';
      readonly mode: MoveMode;
      readonly request: Req<typeof M.BeginMoveObject>;
      readonly now: number;
      /** Fresh random ids: the operation's, should the move be chunked, and the copy's stream id. */
      readonly ids: { readonly operationId: Uint8Array; readonly copyStreamId: Uint8Array };
    }
  | { readonly type: 'finish'; readonly mode: MoveMode; readonly request: Req<typeof M.FinishMoveObject>; readonly now: number }
  | { readonly type: 'page'; readonly request: Req<typeof M.GetMoveSegments>; readonly now: number }
  | { readonly type: 'put'; readonly request: Req<typeof M.PutMoveKeys>; readonly now: number };

/** What happens to one move request on the satellite: a store answered, or failed. */
export type MoveRequestEvent =
  | MoveRequest
  | { readonly type: 'authorized'; readonly projectId: ProjectId }
  /** `getObject`'s answer. */
  | { readonly type: 'object'; readonly object: ObjectRecord | undefined }
  /** `getBucket`'s answer. */
  | { readonly type: 'bucket'; readonly exists: boolean }
  /** The token's MAC verified and its fields decoded (not yet checked for expiry). */
  | { readonly type: 'tokenOpened'; readonly token: MoveTokenFields }
  | { readonly type: 'operation'; readonly operation: MoveOperation | undefined }
  | { readonly type: 'keys'; readonly keys: readonly SegmentKey[] }
  /** `beginMove` or `putMoveKeys` is done. */
  | { readonly type: 'stored' }
  | { readonly type: 'moved'; readonly result: MoveResult }
  /** An effect failed (an unknown API key, a forged token, a store's refusal): refuse with `error`. */
  | { readonly type: 'failed'; readonly error: unknown };

/** The answer to send. A Begin's token is sealed by the runner from `token`. */
export type MoveReply =
  | { readonly call: 'begin'; readonly token: MoveTokenFields; readonly response: Omit<Res<typeof M.BeginMoveObject>, 'moveToken'> }
  | { readonly call: 'finish'; readonly response: Res<typeof M.FinishMoveObject> }
  | { readonly call: 'page'; readonly response: Res<typeof M.GetMoveSegments> }
  | { readonly call: 'put'; readonly response: Res<typeof M.PutMoveKeys> };

/** What the satellite's move decisions ask their runner to do: read, write, reply. */
export type MoveRequestEffect =
  /** The project of the API key; answer `authorized`, or `failed` (PermissionDenied). */
  | { readonly type: 'authorize'; readonly header: { readonly apiKey: string } }
  | { readonly type: 'getObject'; readonly location: ObjectLocation; readonly version?: number | undefined }
  | { readonly type: 'getBucket'; readonly projectId: ProjectId; readonly bucket: string }
  | { readonly type: 'beginMove'; readonly begin: BeginMove }
  | { readonly type: 'listSegmentKeys'; readonly streamId: StreamId; readonly cursor?: SegmentPosition | undefined; readonly limit: number }
  /** Verify the token's MAC and decode it; answer `tokenOpened`, or `failed` (InvalidArgument). */
  | { readonly type: 'openToken'; readonly token: Uint8Array }
  | { readonly type: 'getMoveOperation'; readonly projectId: ProjectId; readonly operationId: Uint8Array; readonly now: number }
  | { readonly type: 'putMoveKeys'; readonly projectId: ProjectId; readonly operationId: Uint8Array; readonly keys: readonly SegmentKey[]; readonly now: number }
  | { readonly type: 'finishMove'; readonly finish: FinishMove }
  /** Pieces an overwrite released, for deletion on nodes (no answer). */
  | { readonly type: 'segmentsDeleted'; readonly segments: readonly SegmentRecord[] }
  | { readonly type: 'reply'; readonly reply: MoveReply }
  | { readonly type: 'refuse'; readonly error: unknown };

/** Where one move request on the satellite is. */
export type MoveRequestPhase =
  | 'idle' | 'authorizing' | 'locating' | 'sourceBucket' | 'destinationBucket' | 'destination' | 'opening' | 'listing'
  | 'openingToken' | 'finishing' | 'loadingOperation' | 'storing' | 'replied' | 'refused';

/** One move request on the satellite between two events. */
export interface MoveRequestState {
  readonly config: MoveConfig;
  readonly phase: MoveRequestPhase;
  readonly request?: MoveRequest | undefined;
  readonly projectId?: ProjectId | undefined;
  /** Begin: the source located. */
  readonly object?: ObjectRecord | undefined;
  /** Begin: the operation opened for a chunked move. Page: the most keys to send. */
  readonly operationId?: Uint8Array | undefined;
  readonly limit?: number | undefined;
}

/** One step of a move request: the next state and the effects to run. */
export interface MoveRequestStep {
  readonly state: MoveRequestState;
  readonly effects: readonly MoveRequestEffect[];
}
