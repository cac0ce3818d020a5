/** Small objects and small last segments: encrypted like any segment, stored in the metabase. */
import type { InlineSegment } from '../metainfo/schemas.js';
import type { SegmentPosition } from '../metainfo/metabase/types.js';
import { encryptedSizeFor, encryptSegment, newContentKey, wrapKey } from './encryption/index.js';

/** The largest plaintext whose encryption fits in `maxInlineSize` bytes (-1 when even an empty one does not). */
export function inlinePlainLimit(maxInlineSize: number, blockSize: number): number {
  // The encrypted size grows with the plaintext: search for the last size that fits.
  let low = -1;
  let high = Math.max(-1, maxInlineSize - 16);
  while (low < high) {
    const mid = Math.floor((low + high + 1) / 2);
    if (encryptedSizeFor(mid, blockSize) <= maxInlineSize) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Encrypts `plaintext` under a fresh content key wrapped with the object's path content key. */
export function sealInline(wrappingKey: Uint8Array, plaintext: Uint8Array, position: SegmentPosition, blockSize: number): InlineSegment {
  const contentKey = newContentKey();
  try {
    const inlineData = encryptSegment(contentKey, plaintext, { blockSize, position });
    const wrapped = wrapKey(wrappingKey, contentKey);
    return { position, encryptedKey: wrapped.encryptedKey, encryptedKeyNonce: wrapped.encryptedKeyNonce, plainSize: plaintext.length, inlineData };
  } finally {
    contentKey.fill(0);
  }
}
