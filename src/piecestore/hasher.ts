/**
 * Incremental SHA-256 for pieces, which arrive and leave in chunks. The crypto provider only
 * offers one-shot digests, so this picks node:crypto's streaming hash when the SDK runs on the
 * node provider (several times faster) and @noble/hashes otherwise; both give the same digest.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { builtinNodeCrypto } from '../crypto/node.js';
import { getCryptoProvider } from '../crypto/select.js';

/** A SHA-256 in progress. */
export interface PieceHasher {
  update(chunk: Uint8Array): void;
  /** The digest of everything passed to `update`; the hasher is spent afterwards. */
  digest(): Uint8Array;
}

/**
 * @example
 * ```ts
 * const hasher = createPieceHasher();
 * for (const chunk of chunks) hasher.update(chunk);
 * const hash = hasher.digest(); // 32 bytes
 * ```
 */
export function createPieceHasher(): PieceHasher {
  const nodeCrypto = getCryptoProvider().name === 'node' ? builtinNodeCrypto() : undefined;
  if (nodeCrypto) {
    const hash = nodeCrypto.createHash('sha256');
    return {
      update: (chunk) => void hash.update(chunk),
      digest: () => new Uint8Array(hash.digest()),
    };
  }
  const hash = sha256.create();
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => hash.digest(),
  };
}
