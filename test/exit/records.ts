/**
 * Plain records for the satellite's pure exit decisions (`transition`, `decideInitiate`, …): a
 * node as the overlay knows it and its exit record, both at a fixed `NOW`, changed per test.
 */
import type { ExitRecord } from '../../src/exit/types.js';
import { NEW_NODE_STATE, type NodeRecord } from '../../src/overlay/types.js';

export const DAY = 86_400_000;
export const NOW = 1_700_000_000_000;

/** An active node that joined 90 days before `NOW` and was heard from a second ago. */
export function nodeRecord(id: Uint8Array, changes: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id,
    address: 'node.example:7777',
    wallet: '0xabc',
    freeBytes: 1e9,
    version: '1.0.0',
    joinedAt: NOW - 90 * DAY,
    lastContactAt: NOW - 1000,
    status: 'active',
    exitStartedAt: null,
    exitFinishedAt: null,
    disqualifiedAt: null,
    disqualifiedReason: null,
    ...NEW_NODE_STATE,
    ...changes,
  };
}

/** A full exit by transfer, started a day before `NOW`, gathered (10 pieces, 10,000 bytes) and unfinished. */
export function exitRecord(nodeId: Uint8Array, changes: Partial<ExitRecord> = {}): ExitRecord {
  return {
    nodeId,
    kind: 'full',
    targetBytes: null,
    policy: 'transfer',
    initiatedAt: NOW - DAY,
    startingBytes: 10_000,
    gatherCursor: undefined,
    gatheredAt: NOW - DAY + 1000,
    piecesQueued: 10,
    piecesTransferred: 0,
    piecesDropped: 0,
    piecesFailed: 0,
    bytesTransferred: 0,
    lastActivityAt: NOW - 1000,
    finishedAt: null,
    outcome: null,
    failureReason: null,
    failureDetail: null,
    receipt: null,
    archivedAt: null,
    ...changes,
  };
}
