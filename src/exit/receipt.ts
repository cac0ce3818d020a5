/**
 * Exit receipts: the satellite's signed statement that a node completed (or failed) its exit —
 * what a node operator keeps to claim its held amount, and what anyone can check offline with
 * only the satellite's id.
 */
import { decodeMessage, encodeMessage } from '../codec/index.js';
import type { CanonicalValue } from '../codec/canonical.js';
import { equalBytes } from '../core/bytes.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { NodeId } from '../crypto/node-id.js';
import type { Signer } from '../crypto/signing.js';
import { signStructure, verifyStructure } from '../crypto/signing.js';
import { ExitReceiptSchema, MAX_RECEIPT_BYTES, type ExitReceipt } from './messages.js';
import type { ExitFailureReason, ExitKind, ExitOutcome } from './types.js';

const RECEIPT_TAG = 'handoff/exit-receipt/v1';

/** An exit receipt before the satellite signs it. */
export type UnsignedExitReceipt = Omit<ExitReceipt, 'signature'>;

function receiptFields(r: UnsignedExitReceipt) {
  // A full exit's fields are the first version's, so its receipts sign (and verify) as before.
  const fields: CanonicalValue[] = [r.nodeId, r.satelliteId, r.outcome, r.reason ?? null, r.finishedAt];
  if (r.kind !== undefined) fields.push(r.kind);
  return fields;
}

/**
 * Signs a receipt as the satellite (`satellite`'s public key must be `satelliteId`). A partial
 * exit's receipt says so (`kind: 'partial'`): it never reads as a full exit's.
 */
export function signExitReceipt(satellite: Signer, receipt: { nodeId: Uint8Array; satelliteId: Uint8Array; outcome: ExitOutcome; reason?: ExitFailureReason | undefined; finishedAt: number; kind?: ExitKind | undefined }): ExitReceipt {
  const unsigned: UnsignedExitReceipt = {
    nodeId: receipt.nodeId,
    satelliteId: receipt.satelliteId,
    outcome: receipt.outcome,
    ...(receipt.reason === undefined ? {} : { reason: receipt.reason }),
    finishedAt: receipt.finishedAt,
    ...(receipt.kind === 'partial' ? { kind: 'partial' as const } : {}),
  };
  return { ...unsigned, signature: signStructure(satellite, RECEIPT_TAG, receiptFields(unsigned)) };
}

/**
 * True when `receipt` was signed by the satellite `satelliteId` (and names it), and — when
 * `nodeId` is given — is about that node. Needs nothing but the ids: works offline. A receipt with
 * `kind: 'partial'` is about a partial exit: check `kind` before paying a held amount.
 *
 * @example
 * ```ts
 * const receipt = decodeExitReceipt(await readFile('receipt.bin'));
 * if (!verifyExitReceipt(receipt, satelliteId, { nodeId: myNode.id })) throw new Error('forged receipt');
 * ```
 */
export function verifyExitReceipt(receipt: ExitReceipt, satelliteId: NodeId | Uint8Array, options: { nodeId?: NodeId | Uint8Array } = {}): boolean {
  const satellite = satelliteId instanceof Uint8Array ? satelliteId : satelliteId.bytes;
  if (!equalBytes(receipt.satelliteId, satellite)) return false;
  if (options.nodeId !== undefined) {
    const node = options.nodeId instanceof Uint8Array ? options.nodeId : options.nodeId.bytes;
    if (!equalBytes(receipt.nodeId, node)) return false;
  }
  if ((receipt.outcome === 'failed') !== (receipt.reason !== undefined)) return false;
  return verifyStructure(satellite, RECEIPT_TAG, receiptFields(receipt), receipt.signature);
}

/** The receipt's bytes, as stores keep them. */
export function encodeExitReceipt(receipt: ExitReceipt): Uint8Array {
  return encodeMessage(ExitReceiptSchema, receipt);
}

/** Decodes stored receipt bytes; `DecodeError`/`InvalidArgumentError` for anything else. */
export function decodeExitReceipt(bytes: Uint8Array): ExitReceipt {
  if (bytes.length > MAX_RECEIPT_BYTES) throw new InvalidArgumentError(`an exit receipt is at most ${MAX_RECEIPT_BYTES} bytes, got ${bytes.length}`);
  return decodeMessage(ExitReceiptSchema, bytes);
}
