/**
 * The node registry's storage port. The overlay service, metainfo (node selection) and the
 * graceful exit coordinator (status changes) use it; memory, SQLite and PostgreSQL implement it
 * and pass `overlayStoreSuite`.
 */
import type { ContactAttempt, NodeContact, NodeRecord, NodePage, ReputationUpdate, StatusChange, Suspension, UploadSelection } from './types.js';

export interface OverlayStore {
  /**
   * Records a check-in: creates the node (status `active`, `joinedAt` = `at`, {@link NEW_NODE_STATE})
   * or updates its address, wallet, free space, version and last contact. `joinedAt` and the
   * status are kept: an exiting, exited or disqualified node stays so. A check-in is a successful
   * contact: it clears `offlineSince` unless a failed contact came later. Returns the record as
   * stored.
   */
  checkIn(contact: NodeContact): Promise<NodeRecord>;

  get(id: Uint8Array): Promise<NodeRecord | undefined>;

  /** The known nodes among `ids` (unknown ids are left out; order not guaranteed). */
  getMany(ids: readonly Uint8Array[]): Promise<NodeRecord[]>;

  /**
   * Changes a node's status if it is still `change.from` (compare-and-swap). Returns the updated
   * record, or `undefined` when the node is unknown or its status is no longer `from`. A change
   * no node may make (e.g. out of `exited`) is an `InvalidArgumentError`.
   */
  setStatus(change: StatusChange): Promise<NodeRecord | undefined>;

  /**
   * Brings an `exited` node back to `active` (compare-and-swap on `exited`), recording
   * `rejoinedAt` = `at` ({@link applyRejoin}) — the only way out of `exited`. The graceful exit
   * coordinator calls it for a node whose exit completed. Returns the record, or `undefined` when
   * the node is unknown or not `exited` (nothing changes).
   */
  rejoin(id: Uint8Array, at: number): Promise<NodeRecord | undefined>;

  /**
   * Up to `count` distinct nodes, random among those that are `active` (never exiting, exited or
   * disqualified), neither suspended nor offline, were heard from within the online window, have
   * at least `minFreeBytes`, and are not `excluded`. Fewer (possibly none) when fewer are
   * eligible: the caller decides.
   */
  selectForUpload(selection: UploadSelection): Promise<NodeRecord[]>;

  /**
   * The nodes among `ids` a download may use: `active` or `exiting`, not offline, heard from
   * within `onlineWindowMs` before `now`. Suspended nodes are kept: they still serve.
   */
  getReachable(ids: readonly Uint8Array[], now: number, onlineWindowMs: number): Promise<NodeRecord[]>;

  /**
   * Records one attempt to reach the node, in one transaction: success moves `lastContactAt`
   * forward and clears `offlineSince` (unless a later failure is recorded); failure moves
   * `lastContactFailureAt` forward and sets `offlineSince` if the node was online and the failure
   * is not older than its last success. Also counts the attempt in the node's hourly contact
   * window (see {@link onlineScore}). Returns the record, or `undefined` for an unknown node
   * (nothing is written).
   */
  recordContact(id: Uint8Array, contact: ContactAttempt): Promise<NodeRecord | undefined>;

  /**
   * Successful contacts over attempts, counted over the hourly windows from the one holding
   * `since` on; 1 when there was no attempt.
   */
  onlineScore(id: Uint8Array, query: { readonly since: number }): Promise<number>;

  /** Deletes contact windows that ended before `before`; returns how many. */
  pruneContactWindows(before: number): Promise<number>;

  /**
   * Moves one reputation of the node ({@link ReputationUpdate}) in one statement (an `audit`
   * update also counts the audit, and its success), and returns the record, or `undefined` for
   * an unknown node.
   */
  updateReputation(id: Uint8Array, update: ReputationUpdate): Promise<NodeRecord | undefined>;

  /**
   * Suspends the node (an earlier suspension is kept, with its time and reason) or, with `null`,
   * lifts any suspension. Returns the record, or `undefined` for an unknown node.
   */
  setSuspended(id: Uint8Array, suspension: Suspension | null): Promise<NodeRecord | undefined>;

  /** Up to `limit` nodes of every status, in id order (byte-wise), after `cursor`. */
  listNodes(page: NodePage): Promise<NodeRecord[]>;

  close(): Promise<void>;
}
