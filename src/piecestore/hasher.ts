/** Incremental SHA-256 for pieces, which arrive and leave in chunks. */
import type { IncrementalHash } from '../crypto/provider.js';
import { getCryptoProvider } from '../crypto/select.js';

/** A SHA-256 in progress. */
export type PieceHasher = IncrementalHash;

/**
 * The current crypto provider's incremental SHA-256 (node:crypto on Node, @noble/hashes
 * elsewhere; both give the same digest).
 *
 * @example
 * ```ts
 * const hasher = createPieceHasher();
 * for (const chunk of chunks) hasher.update(chunk);
 * const hash = hasher.digest(); // 32 bytes
 * ```
 */
export function createPieceHasher(): PieceHasher {
  return getCryptoProvider().createSha256();
}
