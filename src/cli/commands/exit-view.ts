/** How a node's exit status is shown: for people, as JSON, and the verdict on a failed one. */
import { NodeId } from '../../crypto/node-id.js';
import { decodeExitReceipt, verifyExitReceipt } from '../../exit/receipt.js';
import type { AdminExitStatus } from '../../node/admin/methods.js';
import { formatBytes, formatPercent, formatTime, isoTime as iso, table } from '../format.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** True when the receipt decodes and carries the satellite's signature for this node; null without one. */
export function receiptVerifies(status: AdminExitStatus, nodeId: Uint8Array): boolean | null {
  if (status.receipt === null) return null;
  try {
    return verifyExitReceipt(decodeExitReceipt(status.receipt), status.satelliteId, { nodeId });
  } catch {
    return false;
  }
}

/** The satellite's printed id. */
export function satelliteName(status: Pick<AdminExitStatus, 'satelliteId'>): string {
  return NodeId.fromPublicKey(status.satelliteId).toString();
}

/** `12 pieces, 1.20 MiB transferred; 0 failed`. */
export function progressDetail(status: AdminExitStatus): string {
  const doing = status.phase === 'paused' ? ' (paused: out of bandwidth until the allocation renews)' : status.phase === 'waiting' ? ' (the satellite is gathering its list)' : '';
  return `${status.piecesTransferred} pieces (${formatBytes(status.bytesTransferred)}) transferred, ${status.piecesFailed} failed${doing}`;
}

/** The outcome in words, as the last line of a watched exit. */
export function outcomeText(status: AdminExitStatus): string {
  if (status.state === 'completed') return `completed: ${progressDetail(status)}; receipt stored`;
  if (status.state === 'failed') return `FAILED (${status.failureReason ?? 'no reason given'}): the satellite disqualified this node and keeps its held amount`;
  return `${formatPercent(status.percent)} ${progressDetail(status)}`;
}

/** The lines `exit-status` prints for one exit. */
export function exitStatusLines(status: AdminExitStatus, nodeId: Uint8Array): string[] {
  const verified = receiptVerifies(status, nodeId);
  const result = status.state === 'exiting' ? `in progress${status.phase === 'paused' ? ' — paused: out of bandwidth until the allocation renews' : status.phase === 'waiting' ? ' — the satellite is gathering its list' : ''}` : status.state === 'completed' ? 'completed' : `failed: ${status.failureReason ?? 'no reason given'} (disqualified; held amount kept)`;
  const kind = status.kind === 'partial' ? `partial: ${formatBytes(status.targetBytes ?? 0)} to move off, then the node stays` : 'full';
  const rows: string[][] = [
    ['  kind', `${kind}${status.policy === 'time-based' ? ' (time-based: the node stays online for the period, nothing is transferred)' : ''}${status.bandwidth === null ? '' : `; bandwidth: ${status.bandwidth === 'exceed' ? 'may exceed the allocation' : 'waits for the next period'}`}`],
    ['  progress', `${formatPercent(status.percent)} (${formatBytes(status.bytesDeleted)} of ${formatBytes(status.startingBytes)} held at the start has left this disk)`],
    ['  transferred', `${status.piecesTransferred} pieces, ${formatBytes(status.bytesTransferred)}`],
    ['  failed', `${status.piecesFailed} pieces`],
    ['  deleted', `${status.piecesDeleted} pieces, ${formatBytes(status.bytesDeleted)}`],
    ['  started', formatTime(status.startedAt)],
    ['  finished', formatTime(status.finishedAt)],
    ['  result', result],
  ];
  if (status.receipt !== null) rows.push(['  receipt', `${b64(status.receipt)} (${verified ? 'signed by the satellite: verified' : 'DOES NOT VERIFY'})`]);
  return [`satellite ${satelliteName(status)}${status.satelliteAddress ? ` at ${status.satelliteAddress}` : ''}`, ...table(rows)];
}

/** One exit as JSON: ids printed, times ISO 8601, the receipt in base64 and hex. */
export function exitStatusJson(status: AdminExitStatus, nodeId: Uint8Array): Record<string, unknown> {
  return {
    satelliteId: satelliteName(status),
    satelliteAddress: status.satelliteAddress,
    state: status.state,
    kind: status.kind,
    targetBytes: status.targetBytes,
    policy: status.policy,
    bandwidth: status.bandwidth,
    percent: Number(status.percent.toFixed(2)),
    startedAt: iso(status.startedAt),
    finishedAt: iso(status.finishedAt),
    startingBytes: status.startingBytes,
    bytesTransferred: status.bytesTransferred,
    piecesTransferred: status.piecesTransferred,
    piecesFailed: status.piecesFailed,
    bytesDeleted: status.bytesDeleted,
    piecesDeleted: status.piecesDeleted,
    failureReason: status.failureReason,
    receipt: status.receipt === null ? null : b64(status.receipt),
    receiptHex: status.receipt === null ? null : hex(status.receipt),
    receiptVerified: receiptVerifies(status, nodeId),
    wiped: status.wiped,
    archivedAt: iso(status.archivedAt),
    phase: status.phase,
  };
}

/** The one line saying a satellite disqualified this node, for stderr. */
export function disqualifiedLine(status: AdminExitStatus): string {
  return `satellite ${satelliteName(status)} disqualified this node: its graceful exit failed (${status.failureReason ?? 'no reason given'}); the held amount is kept`;
}
