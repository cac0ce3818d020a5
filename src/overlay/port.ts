/**
 * The node registry's storage port. The overlay service, metainfo (node selection) and the
 * graceful exit coordinator (status changes) use it; memory, SQLite and PostgreSQL implement it
 * and pass `overlayStoreSuite`.
 */
import type { NodeContact, NodeRecord, StatusChange, UploadSelection } from './types.js';

export interface OverlayStore {
  /**
   * Records a check-in: creates the node (status `active`, `joinedAt` = `at`) or updates its
   * address, wallet, free space, version and last contact. `joinedAt` and the status are kept:
   * an exiting, exited or disqualified node stays so. Returns the record as stored.
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
   * Up to `count` distinct nodes, random among those that are `active` (never exiting, exited or
   * disqualified), were heard from within the online window, have at least `minFreeBytes`, and
   * are not `excluded`. Fewer (possibly none) when fewer are eligible: the caller decides.
   */
  selectForUpload(selection: UploadSelection): Promise<NodeRecord[]>;

  /**
   * The nodes among `ids` a download may use: `active` or `exiting`, heard from within
   * `onlineWindowMs` before `now`.
   */
  getReachable(ids: readonly Uint8Array[], now: number, onlineWindowMs: number): Promise<NodeRecord[]>;

  close(): Promise<void>;
}
