/**
 * `GracefulExit.Process`: one bidirectional stream between an exiting node and its satellite.
 * The node's first call initiates the exit (no separate RPC: a node whose satellite is slow to
 * answer just calls again). The caller is the connection's authenticated peer, never a field.
 *
 * Satellite → node: `notReady` (gathering; ask again after `retryAfterMs`), `transferPiece`
 * (upload this piece to that node under a `PUT_GRACEFUL_EXIT` limit), `deletePiece` (the
 * replacement is recorded: delete yours), `exitCompleted` / `exitFailed` (with a signed receipt).
 * Node → satellite: `transferSucceeded` (with the proof) or `transferFailed`.
 *
 * Three unary calls go with it (docs/exit.md, "More than the MVP"): `GracefulExit.Initiate` says
 * what kind of exit a node asks for before it streams, `GracefulExit.KeepAlive` keeps an exit the
 * node paused (bandwidth) from counting as inactive, and `GracefulExit.Rejoin` brings a node back
 * after a completed exit. A node that never calls them gets the first version's behaviour.
 */
import { s, type Infer } from '../codec/index.js';
import { OrderLimitSchema } from '../orders/order-limit.js';
import { PieceHashSchema } from '../orders/piece-hash.js';
import { streamMethod, unaryMethod } from '../rpc/method.js';
import { EXIT_FAILURE_REASONS, EXIT_KINDS, EXIT_POLICIES, TRANSFER_ERRORS } from './types.js';

/** An encoded receipt is small; anything larger is refused before decoding. */
export const MAX_RECEIPT_BYTES = 1024;

/** The wire form of a signed exit receipt. */
export const ExitReceiptSchema = s.object({
  nodeId: s.bytes({ length: 32 }),
  satelliteId: s.bytes({ length: 32 }),
  outcome: s.enum(['completed', 'failed']),
  /** Why it failed; absent when completed. */
  reason: s.optional(s.enum(EXIT_FAILURE_REASONS)),
  /** When the satellite finished the exit (ms since the epoch). */
  finishedAt: s.int({ min: 0 }),
  /**
   * `partial` for a partial exit (the node moved some bytes and stays); absent for a full exit, so
   * a full exit's receipt is what the first version signed. Signed with the rest.
   */
  kind: s.optional(s.enum(['partial'])),
  signature: s.bytes({ length: 64 }),
});
/** The satellite's signed statement of how a node's exit ended. */
export type ExitReceipt = Infer<typeof ExitReceiptSchema>;

/** What an exiting node sends on `GracefulExit.Process`. */
export const NodeExitMessage = s.variant('type', {
  transferSucceeded: s.object({
    originalPieceId: s.bytes({ length: 32 }),
    /** The satellite's own limit the piece was first uploaded under, as the node stored it. */
    originalOrderLimit: OrderLimitSchema,
    /** The uplink's signed hash of the piece, as the node stored it. */
    originalPieceHash: PieceHashSchema,
    /** The replacement node's signed receipt for the same bytes under its derived piece id. */
    replacementPieceHash: PieceHashSchema,
  }),
  transferFailed: s.object({
    originalPieceId: s.bytes({ length: 32 }),
    error: s.enum(TRANSFER_ERRORS),
    /** A short explanation for the satellite's logs. */
    detail: s.optional(s.string({ max: 512 })),
  }),
});
export type NodeExitMessage = Infer<typeof NodeExitMessage>;

/** What the satellite sends on `GracefulExit.Process`. */
export const SatelliteExitMessage = s.variant('type', {
  notReady: s.object({ retryAfterMs: s.int({ min: 0 }) }),
  transferPiece: s.object({
    originalPieceId: s.bytes({ length: 32 }),
    /** Signs the orders and the piece hash of this one upload (its public half is in the limit). */
    piecePrivateKey: s.bytes({ length: 32 }),
    /** A `PUT_GRACEFUL_EXIT` limit for the replacement node's derived piece id. */
    limit: OrderLimitSchema,
    /** Where the replacement node listens. */
    address: s.string({ max: 256 }),
  }),
  deletePiece: s.object({ originalPieceId: s.bytes({ length: 32 }) }),
  exitCompleted: s.object({ receipt: ExitReceiptSchema }),
  exitFailed: s.object({ reason: s.enum(EXIT_FAILURE_REASONS), receipt: ExitReceiptSchema }),
});
export type SatelliteExitMessage = Infer<typeof SatelliteExitMessage>;

/** The `GracefulExit.Process` stream: the exiting node and the satellite trade transfer orders and proofs. */
export const GracefulExitProcess = streamMethod('GracefulExit.Process', NodeExitMessage, SatelliteExitMessage);

/**
 * `GracefulExit.Initiate`: starts an exit of the kind asked for (idempotent: the same request
 * again returns the exit in progress). A full exit has no `targetBytes`; a partial one must have
 * it. Refusals are typed errors naming the rule (`PermissionDenied`: unknown or disqualified
 * node; `FailedPrecondition`: too young, already exited, another exit in progress;
 * `InvalidArgument`: a malformed request) and change nothing.
 */
export const GracefulExitInitiate = unaryMethod(
  'GracefulExit.Initiate',
  s.object({ kind: s.enum(EXIT_KINDS), targetBytes: s.optional(s.int({ min: 1 })) }),
  s.object({
    kind: s.enum(EXIT_KINDS),
    targetBytes: s.optional(s.int({ min: 1 })),
    /** How the satellite judges it: `transfer` (stream and hand pieces over) or `time-based` (stay online). */
    policy: s.enum(EXIT_POLICIES),
    initiatedAt: s.int({ min: 0 }),
    /** A time-based exit ends no earlier than this. */
    dueAt: s.optional(s.int({ min: 0 })),
  }),
);
/** A node's request to start an exit. */
export type ExitInitiateRequest = Infer<typeof GracefulExitInitiate.request>;
/** The satellite's answer to an exit request. */
export type ExitInitiateResponse = Infer<typeof GracefulExitInitiate.response>;

/**
 * `GracefulExit.KeepAlive`: the node is still exiting but not transferring now (waiting for its
 * bandwidth allocation to renew). Counts as activity, like a transfer would; `finished` tells a
 * paused node that its exit ended meanwhile (it should connect for the receipt).
 */
export const GracefulExitKeepAlive = unaryMethod('GracefulExit.KeepAlive', s.object({}), s.object({ finished: s.bool() }));

/**
 * `GracefulExit.Rejoin`: a node whose graceful exit completed is active again, with its id and
 * reputation; its escrow period restarts at `rejoinedAt`. Refused with a typed error naming why
 * otherwise (a failed exit means a disqualified node: `PermissionDenied` with the reason).
 */
export const GracefulExitRejoin = unaryMethod('GracefulExit.Rejoin', s.object({}), s.object({ rejoinedAt: s.int({ min: 0 }) }));
