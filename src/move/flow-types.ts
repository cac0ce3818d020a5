/**
 * The data of the uplink's move flow (flow.ts): what it sends and receives, its state, the events
 * it takes and the effects it asks for. Plain data only, so a host can log, store or replay them.
 */
import type { MetadataKey, MoveMode, SegmentKey } from '../metainfo/metabase/move.js';
import type * as Metainfo from '../metainfo/methods.js';
import type { ObjectInfo } from '../metainfo/schemas.js';
import type * as M from './methods.js';

type ReqOf<T> = T extends { readonly request: { parse(v: unknown, path?: string): infer R } } ? R : never;
type ResOf<T> = T extends { readonly response: { parse(v: unknown, path?: string): infer R } } ? R : never;

/** The RPC each call goes to (`Metainfo.GetObject` for `locate` and `check`; Begin and Finish of the flow's mode). */
export type MoveMethodName =
  | 'Metainfo.GetObject' | 'Metainfo.BeginMoveObject' | 'Metainfo.BeginCopyObject' | 'Metainfo.GetMoveSegments'
  | 'Metainfo.PutMoveKeys' | 'Metainfo.FinishMoveObject' | 'Metainfo.FinishCopyObject';

/** The requests and responses of each call the flow makes. */
export interface MoveCalls {
  /** Onto itself: the object as it is (`Metainfo.GetObject`). */
  readonly locate: { readonly request: ReqOf<typeof Metainfo.GetObject>; readonly response: ResOf<typeof Metainfo.GetObject> };
  readonly begin: { readonly request: ReqOf<typeof M.BeginMoveObject>; readonly response: ResOf<typeof M.BeginMoveObject> };
  readonly page: { readonly request: ReqOf<typeof M.GetMoveSegments>; readonly response: ResOf<typeof M.GetMoveSegments> };
  readonly put: { readonly request: ReqOf<typeof M.PutMoveKeys>; readonly response: ResOf<typeof M.PutMoveKeys> };
  readonly finish: { readonly request: ReqOf<typeof M.FinishMoveObject>; readonly response: ResOf<typeof M.FinishMoveObject> };
  /** After a key failed to open: is the located stream still the source's version (`Metainfo.GetObject`)? */
  readonly check: { readonly request: ReqOf<typeof Metainfo.GetObject>; readonly response: ResOf<typeof Metainfo.GetObject> };
}

/** Each call the flow makes; at most one of each is in flight at a time. */
export type MoveStep = keyof MoveCalls;

/** One call to make: the request, complete with the header, and the RPC it goes to. */
export type MoveCall = { readonly [K in MoveStep]: { readonly step: K; readonly method: MoveMethodName; readonly request: MoveCalls[K]['request'] } }[MoveStep];

/** A call's answer, as an event. */
export type MoveAnswer = { readonly [K in MoveStep]: { readonly type: 'answered'; readonly step: K; readonly response: MoveCalls[K]['response'] } }[MoveStep];

/** What one move or copy is: everything it sends, computed by the host (encrypted keys come from `rekeyObject`). */
export interface MovePlan {
  readonly mode: MoveMode;
  readonly header: { readonly apiKey: string };
  readonly bucket: string;
  /** The destination bucket (the same as `bucket` for a move within it). */
  readonly newBucket: string;
  /** The object's key encrypted for its path now, and for the new one (equal bytes and bucket: onto itself). */
  readonly oldEncryptedKey: Uint8Array;
  readonly newEncryptedKey: Uint8Array;
  /** The version to move (absent: the latest committed one). */
  readonly version?: number | undefined;
  readonly overwrite: boolean;
  /** Segment keys per request, 1–10,000. */
  readonly chunkSize: number;
}

/** How lost connections are retried. */
export interface MoveRetryPolicy {
  /** Attempts of one call in all, the first included (default 3). */
  readonly retryAttempts: number;
  /** The wait before attempt n+1 is n times this (default 50 ms). */
  readonly retryBackoffMs: number;
}

/** Three attempts in all, waiting 50 ms, then 100 ms. */
export const DEFAULT_MOVE_RETRY: MoveRetryPolicy = Object.freeze({ retryAttempts: 3, retryBackoffMs: 50 });

/** Where a move is: which call it waits for, or its end. */
export type MoveFlowPhase = 'idle' | 'locating' | 'beginning' | 'rekeying' | 'checking' | 'explaining' | 'finishing' | 'done' | 'failed';

/** A call in flight, or waiting for its retry timer. */
export interface PendingCall {
  readonly call: MoveCall;
  readonly attempt: number;
  readonly waiting: boolean;
}

/** What Begin answered that the rest of the flow needs. */
export interface BegunMove {
  readonly moveToken: Uint8Array;
  readonly streamId: Uint8Array;
  readonly version: number;
  readonly segmentCount: number;
  /** Set when the keys travel in chunks. */
  readonly operationId?: Uint8Array | undefined;
}

/** One move between two events: its plan, its calls, its keys in the pipeline, its outcome. */
export interface MoveFlowState {
  readonly plan: MovePlan;
  readonly retry: MoveRetryPolicy;
  readonly phase: MoveFlowPhase;
  readonly calls: Readonly<Partial<Record<MoveStep, PendingCall>>>;
  readonly begun?: BegunMove | undefined;
  /** The metadata key: absent (none), being re-wrapped, or re-wrapped. */
  readonly metadata: 'none' | 'rewrapping' | MetadataKey;
  /** A fetched page waiting for the re-wrapper. */
  readonly ready?: readonly SegmentKey[] | undefined;
  /** Keys being re-wrapped now. */
  readonly rewrapping?: number | undefined;
  /** A re-wrapped page waiting for the put slot (chunked), or every key re-wrapped (small objects). */
  readonly rewrapped?: { readonly page: Uint8Array; readonly count: number } | undefined;
  /** Keys of the put in flight. */
  readonly putting?: number | undefined;
  /** The satellite has keys after the last page received. */
  readonly more: boolean;
  readonly segmentsDone: number;
  /** Checking: the key failure being explained. */
  readonly cause?: unknown;
  readonly object?: ObjectInfo | undefined;
  readonly error?: unknown;
}

/** What happens to a move: a call answered or failed, a timer fired, keys re-wrapped, the caller gave up. */
export type MoveFlowEvent =
  | { readonly type: 'start' }
  | MoveAnswer
  /** A call failed (after the runner's transport gave up on it). */
  | { readonly type: 'callFailed'; readonly step: MoveStep; readonly error: unknown }
  /** A retry timer fired. */
  | { readonly type: 'retryDue'; readonly step: MoveStep }
  /** The keys of the last `rewrap` effect, re-wrapped and packed. */
  | { readonly type: 'rewrapped'; readonly page: Uint8Array; readonly count: number }
  | { readonly type: 'metadataRewrapped'; readonly metadataKey: MetadataKey }
  /** A key did not open under the old path, or the re-wrapping was aborted. */
  | { readonly type: 'rewrapFailed'; readonly error: unknown }
  /** The missing object's error, explained. */
  | { readonly type: 'explained'; readonly error: unknown }
  /** The caller gave up (its signal fired). */
  | { readonly type: 'abort'; readonly error: unknown };

/** What the move flow asks its runner to do. */
export type MoveFlowEffect =
  /** Make this call; answer with `answered` or `callFailed`. */
  | { readonly type: 'call'; readonly call: MoveCall; readonly attempt: number }
  /** Fire `retryDue` for `step` after `afterMs`. */
  | { readonly type: 'scheduleRetry'; readonly step: MoveStep; readonly afterMs: number }
  | { readonly type: 'cancelRetry'; readonly step: MoveStep }
  /** Re-wrap these keys from the old path's key to the new one, each under a fresh nonce, packed; answer `rewrapped` or `rewrapFailed`. */
  | { readonly type: 'rewrap'; readonly keys: readonly SegmentKey[] }
  /** Re-wrap the metadata key; answer `metadataRewrapped` or `rewrapFailed`. */
  | { readonly type: 'rewrapMetadata'; readonly metadataKey: MetadataKey }
  | { readonly type: 'progress'; readonly segmentsDone: number; readonly segmentCount: number }
  /** Say why the object may be missing (another passphrase?); answer `explained` with the error to fail with. */
  | { readonly type: 'explainMissing'; readonly error: unknown }
  /** The flow is over: the object at its destination. */
  | { readonly type: 'done'; readonly object: ObjectInfo }
  /** The flow is over: fail with this error. */
  | { readonly type: 'fail'; readonly error: unknown };

/** One step of the flow: the next state and the effects to start, in order. */
export interface MoveFlowStep {
  readonly state: MoveFlowState;
  readonly effects: readonly MoveFlowEffect[];
}

