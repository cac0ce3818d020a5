/**
 * How the exit page shows an exit, and which satellite the operator typed — pure functions, so
 * the page and its tests agree with `handoff node exit-status` / `exit-satellite`.
 */
import { NodeId } from '../../crypto/node-id.js';
import { decodeExitReceipt, verifyExitReceipt } from '../../exit/receipt.js';
import type { AdminExitStatus, AdminSatellite } from '../../node/admin/methods.js';

export { formatBytes as bytesText } from '../../cli/format.js';

/** The satellite's id as printed everywhere else. */
export const satelliteIdText = (id: Uint8Array): string => NodeId.fromPublicKey(id).toString();

/**
 * The satellite `typed` names — its id (any case) or its exact address — among `satellites`, as
 * the CLI's confirmation reads it.
 */
export function typedSatellite(typed: string, satellites: readonly AdminSatellite[]): AdminSatellite | undefined {
  const text = typed.trim();
  if (text === '') return undefined;
  let id: NodeId | undefined;
  try {
    id = NodeId.parse(text);
  } catch {
    id = undefined;
  }
  return satellites.find((s) => s.address === text || (id !== undefined && NodeId.fromPublicKey(s.id).equals(id)));
}

/** The receipt's verdict: `verified` when it decodes and the satellite signed it for this node. */
export function receiptVerdict(status: AdminExitStatus, nodeId: Uint8Array): 'none' | 'verified' | 'invalid' {
  if (status.receipt === null) return 'none';
  try {
    return verifyExitReceipt(decodeExitReceipt(status.receipt), status.satelliteId, { nodeId }) ? 'verified' : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** The exit's result in words. */
export function resultText(status: AdminExitStatus): string {
  if (status.state === 'completed') return status.kind === 'partial' ? 'completed (partial exit: the node stays)' : 'completed';
  if (status.state === 'failed') return `failed (${status.failureReason ?? 'no reason given'}): the satellite disqualified this node and keeps its held amount`;
  if (status.phase === 'paused') return 'exiting (paused: out of bandwidth until the allocation renews)';
  return 'exiting';
}

/** Base64 of the receipt, as `exit-status --json` prints it. */
export function base64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}
