/**
 * `ContainmentStore`: the satellite's pending audits. A node that connected but did not answer
 * an audit in time is *contained*: the exact piece it was asked for is recorded here and
 * re-verified before the node is judged. At most one pending audit per (node, segment).
 */
import type { SegmentPosition, StreamId } from '../../metainfo/metabase/types.js';
import type { PendingAudit } from './types.js';

/** The satellite's storage port for pending audits of contained nodes. */
export interface ContainmentStore {
  /** Records `pending` unless that node already has one for that segment (its count is kept). Returns whether it was added. */
  contain(pending: PendingAudit): Promise<boolean>;
  get(nodeId: Uint8Array, streamId: StreamId, position: SegmentPosition): Promise<PendingAudit | undefined>;
  /** Up to `limit` pending audits, oldest first. */
  list(limit: number): Promise<PendingAudit[]>;
  /** Pending audits of one node. */
  listForNode(nodeId: Uint8Array): Promise<PendingAudit[]>;
  /** Adds one to a pending audit's timeout count; the record after, or undefined if there is none. */
  incrementReverify(nodeId: Uint8Array, streamId: StreamId, position: SegmentPosition): Promise<PendingAudit | undefined>;
  /** Ends a pending audit (judged, or its piece is gone); false if there was none. */
  release(nodeId: Uint8Array, streamId: StreamId, position: SegmentPosition): Promise<boolean>;
  count(): Promise<number>;
  close(): Promise<void>;
}
