/**
 * The integration module's ports to the outside: the core (`CoreLink`, where the source
 * provider pushes task updates in bulk) and other providers (`PeerProvider`, for the
 * provider-to-provider negotiation that never involves the core). The host wires them to its RPC
 * layer, which authenticates the calling provider: handlers receive the caller's id from the
 * connection, never from the request body.
 */
import type { TransferParameters } from '../plugin.js';
import type { ProviderId, TaskId, TaskState, TransferTaskUpdate } from '../types.js';

/** The core's answer per pushed update: applied (or already known), or refused with a reason. */
export type UpdateOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * The source provider's link to the core (the seed's `UpdateTransferTask`).
 *
 * @example
 * ```ts
 * const core: CoreLink = { updateTransferTasks: (items) => rpc.call('Files.UpdateTransferTask', { items }) };
 * ```
 */
export interface CoreLink {
  /**
   * Pushes updates in order (several items may concern one task; they are in the order they
   * happened). Resolves with one outcome per item. Rejects when the core cannot be reached: the
   * module then keeps every update and pushes them again later.
   */
  updateTransferTasks(updates: readonly TransferTaskUpdate[]): Promise<readonly UpdateOutcome[]>;
}

/** Source → destination: "I am about to send task N with plugin P; where do I send it?" */
export interface PeerNegotiationRequest {
  readonly taskId: TaskId;
  readonly pluginType: string;
  /** The destination folder as the core names it. */
  readonly destinationPath: string;
  /** The name the transferred file or folder gets inside the destination folder. */
  readonly entryName: string;
}

/** The destination's answer: the agreed plugin and its parameters, or why not (and whether to ask again). */
export type PeerNegotiationResponse =
  | { readonly ok: true; readonly pluginType: string; readonly parameters: TransferParameters }
  | { readonly ok: false; readonly retryable: boolean; readonly reason: string };

/** Source → destination: task N has ended with `outcome`; revoke and clean up. */
export interface PeerReleaseRequest {
  readonly taskId: TaskId;
  readonly outcome: TaskState;
}

/** What a provider calls on another provider. */
export interface PeerProvider {
  negotiate(provider: ProviderId, request: PeerNegotiationRequest): Promise<PeerNegotiationResponse>;
  release(provider: ProviderId, request: PeerReleaseRequest): Promise<void>;
}

/** What a provider serves to other providers; `caller` is the authenticated calling provider. */
export interface PeerHandler {
  handlePeerNegotiation(caller: ProviderId, request: PeerNegotiationRequest): Promise<PeerNegotiationResponse>;
  handlePeerRelease(caller: ProviderId, request: PeerReleaseRequest): Promise<void>;
}
