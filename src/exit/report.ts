/**
 * What a satellite operator reads about exits: the nodes exiting now, and the report of finished
 * exits over a time window that escrow payouts are made from (seed 001: node id, wallet, joined,
 * exit initiated, exit finished, GB transferred — the real figure — and the result).
 */
import { equalBytes, toHex } from '../core/bytes.js';
import type { NodeRecord } from '../overlay/types.js';
import type { ExitFailureReason, ExitKind, ExitOutcome, ExitPolicy, ExitRecord } from './types.js';

/** One exit in progress. */
export interface ExitProgressRow {
  readonly nodeId: Uint8Array;
  readonly initiatedAt: number;
  /** When gathering finished; null while it runs. */
  readonly gatheredAt: number | null;
  readonly piecesQueued: number;
  /** Pieces still to hand over (or drop). */
  readonly queueLength: number;
  readonly piecesTransferred: number;
  readonly piecesDropped: number;
  readonly piecesFailed: number;
  readonly bytesTransferred: number;
  readonly startingBytes: number;
  readonly lastActivityAt: number;
  /**
   * Pieces done (transferred, dropped or failed) over pieces queued, 0–100; 0 while gathering. A
   * time-based exit moves nothing: its percent is the share of its period gone by.
   */
  readonly percent: number;
  /** Full or partial (absent in rows from a satellite older than both). */
  readonly kind?: ExitKind;
  /** A partial exit's bytes to move. */
  readonly targetBytes?: number | null;
  readonly policy?: ExitPolicy;
}

/** One finished exit, as the payout report lists it. */
export interface ExitReportRow {
  readonly nodeId: Uint8Array;
  /** The node's payout address, as it last reported it. */
  readonly wallet: string;
  readonly joinedAt: number | null;
  readonly initiatedAt: number;
  readonly finishedAt: number;
  readonly bytesTransferred: number;
  readonly piecesTransferred: number;
  readonly piecesFailed: number;
  readonly outcome: ExitOutcome;
  readonly failureReason: ExitFailureReason | null;
  readonly failureDetail: string | null;
  /**
   * Full or partial: a completed partial exit moved some data and the node stayed — no held
   * amount is due for it. (The three fields below are absent in rows from an older satellite.)
   */
  readonly kind?: ExitKind;
  readonly policy?: ExitPolicy;
  /**
   * When the node's escrow (held amount) period began for this exit: its latest rejoin before the
   * exit began, else when it joined.
   */
  readonly escrowStartedAt?: number | null;
}

/**
 * The progress row of an unfinished exit. `timeBased` gives a time-based exit's period and the
 * time now, for its percent.
 */
export function progressRow(exit: ExitRecord, queueLength: number, timeBased?: { readonly now: number; readonly periodMs: number }): ExitProgressRow {
  const done = exit.piecesTransferred + exit.piecesDropped + exit.piecesFailed;
  let percent = exit.gatheredAt === null || exit.piecesQueued === 0 ? (exit.gatheredAt === null ? 0 : 100) : Math.min(100, (100 * done) / exit.piecesQueued);
  if (exit.policy === 'time-based' && timeBased !== undefined) {
    percent = Math.max(0, Math.min(100, (100 * (timeBased.now - exit.initiatedAt)) / Math.max(1, timeBased.periodMs)));
  }
  return {
    nodeId: exit.nodeId,
    initiatedAt: exit.initiatedAt,
    gatheredAt: exit.gatheredAt,
    piecesQueued: exit.piecesQueued,
    queueLength,
    piecesTransferred: exit.piecesTransferred,
    piecesDropped: exit.piecesDropped,
    piecesFailed: exit.piecesFailed,
    bytesTransferred: exit.bytesTransferred,
    startingBytes: exit.startingBytes,
    lastActivityAt: exit.lastActivityAt,
    percent,
    kind: exit.kind,
    targetBytes: exit.targetBytes,
    policy: exit.policy,
  };
}

/**
 * When the escrow period ran from for `exit`: the latest rejoin of its node before the exit began
 * — a completed full exit is archived when its node rejoins, so the archive time of such an exit
 * in `history` is a rejoin — else the node's join date (null when the node is unknown).
 */
export function escrowStartedAt(exit: ExitRecord, node: NodeRecord | undefined, history: readonly ExitRecord[]): number | null {
  let start = node?.joinedAt ?? null;
  for (const earlier of history) {
    if (earlier.kind !== 'full' || earlier.outcome !== 'completed' || earlier.archivedAt === null) continue;
    if (earlier.archivedAt > exit.initiatedAt || !equalBytes(earlier.nodeId, exit.nodeId)) continue;
    if (start === null || earlier.archivedAt > start) start = earlier.archivedAt;
  }
  return start;
}

/**
 * Report rows for finished exits, with what the overlay knows of each node; `history` holds the
 * exits (archived ones included) of nodes that ever rejoined, for {@link escrowStartedAt}.
 */
export function reportRows(exits: readonly ExitRecord[], nodes: readonly NodeRecord[], history: readonly ExitRecord[] = []): ExitReportRow[] {
  const byId = new Map(nodes.map((n) => [toHex(n.id), n]));
  return exits
    .filter((e): e is ExitRecord & { finishedAt: number; outcome: ExitOutcome } => e.finishedAt !== null && e.outcome !== null)
    .map((e) => {
      const node = byId.get(toHex(e.nodeId));
      return {
        nodeId: e.nodeId,
        wallet: node?.wallet ?? '',
        joinedAt: node?.joinedAt ?? null,
        initiatedAt: e.initiatedAt,
        finishedAt: e.finishedAt,
        bytesTransferred: e.bytesTransferred,
        piecesTransferred: e.piecesTransferred,
        piecesFailed: e.piecesFailed,
        outcome: e.outcome,
        failureReason: e.failureReason,
        failureDetail: e.failureDetail,
        kind: e.kind,
        policy: e.policy,
        escrowStartedAt: escrowStartedAt(e, node, history),
      };
    })
    .sort((a, b) => a.finishedAt - b.finishedAt || (toHex(a.nodeId) < toHex(b.nodeId) ? -1 : 1));
}

// The columns after `reason` came with partial and time-based exits and rejoins: appended, so a script reading the first ten still works.
const CSV_HEADER = ['node_id', 'wallet', 'joined', 'exit_initiated', 'exit_finished', 'gb_transferred', 'pieces_transferred', 'pieces_failed', 'result', 'reason', 'kind', 'policy', 'escrow_started'];

/**
 * The report as CSV (RFC 4180 quoting), times in ISO 8601, GB as decimal gigabytes (10^9 bytes)
 * with 9 decimals so no byte is rounded away. `nodeIdText` prints ids (e.g. `NodeId.fromPublicKey(id).toString()`).
 *
 * @example
 * ```ts
 * const csv = exitReportCsv(await satellite.exits.report({ from, to }), (id) => NodeId.fromPublicKey(id).toString());
 * ```
 */
export function exitReportCsv(rows: readonly ExitReportRow[], nodeIdText: (id: Uint8Array) => string): string {
  const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());
  const lines = [CSV_HEADER.join(',')];
  for (const r of rows) {
    const result = r.outcome === 'completed' ? 'completed' : 'failed';
    const reason = r.failureReason === null ? '' : `${r.failureReason}${r.failureDetail ? `: ${r.failureDetail}` : ''}`;
    const kinds = [r.kind ?? '', r.policy ?? '', iso(r.escrowStartedAt ?? null)];
    lines.push([nodeIdText(r.nodeId), r.wallet, iso(r.joinedAt), iso(r.initiatedAt), iso(r.finishedAt), (r.bytesTransferred / 1e9).toFixed(9), String(r.piecesTransferred), String(r.piecesFailed), result, reason, ...kinds].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
