/**
 * The order limits the satellite signs for the nodes it dials itself (audits, repair, graceful
 * exit, deletes) and for uplinks' downloads: a fresh serial, created now, valid for a while.
 */
import type { Identity } from '../crypto/identity.js';
import { getCryptoProvider } from '../crypto/select.js';
import { signOrderLimit, type OrderLimit, type PieceAction } from './order-limit.js';

/** What one limit is for. */
export interface PieceLimitRequest {
  readonly action: PieceAction;
  readonly nodeId: Uint8Array;
  readonly pieceId: Uint8Array;
  readonly limitBytes: number;
  readonly piecePublicKey: Uint8Array;
  /** When an uploaded piece may be deleted (none: kept until deleted). */
  readonly pieceExpiration?: number | undefined;
}

/**
 * A limit signed by `identity`, with a fresh serial number, created `now` and valid for `ttlMs`.
 *
 * @example
 * ```ts
 * const limit = signPieceLimit(identity, { action: 'GET_AUDIT', nodeId, pieceId, limitBytes: shareSize, piecePublicKey }, clock.now(), config.orderTtlMs);
 * ```
 */
export function signPieceLimit(identity: Identity, request: PieceLimitRequest, now: number, ttlMs: number): OrderLimit {
  const { action, nodeId, pieceId, limitBytes, piecePublicKey, pieceExpiration } = request;
  return signOrderLimit(identity, {
    serialNumber: getCryptoProvider().randomBytes(16),
    satelliteId: identity.publicKey,
    storageNodeId: nodeId,
    pieceId,
    action,
    limitBytes,
    ...(pieceExpiration === undefined ? {} : { pieceExpiration }),
    orderExpiration: now + ttlMs,
    piecePublicKey,
    createdAt: now,
  });
}

/**
 * When a piece shared by several segments (a segment and its copies) may be deleted: never if
 * one of them never expires, otherwise when the longest-lived one does.
 *
 * @example
 * ```ts
 * const pieceExpiration = sharedPieceExpiration(segments.map((s) => s.expiresAt));
 * ```
 */
export function sharedPieceExpiration(expirations: readonly (number | undefined)[]): number | undefined {
  let latest = 0;
  for (const at of expirations) {
    if (at === undefined) return undefined;
    latest = Math.max(latest, at);
  }
  return expirations.length === 0 ? undefined : latest;
}
