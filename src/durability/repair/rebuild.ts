/**
 * Rebuilding missing pieces, pure: decode the segment from `required` pieces and encode only the
 * pieces a repair makes, a run of stripes at a time.
 */
import type { ErasureCoder } from '../../uplink/erasure/index.js';

/** Segment bytes decoded and re-encoded per run: small enough to stay in cache, large enough to amortize the calls. */
const RUN_BYTES = 128 * 1024;

/**
 * The pieces numbered `numbers`, rebuilt from `downloaded` (at least `required` whole pieces) a
 * run of stripes at a time: only the wanted pieces are allocated whole, never the segment nor
 * the pieces it does not need.
 *
 * @example
 * ```ts
 * const made = rebuild(createErasureCoder(segment.redundancy!), downloaded, segment.encryptedSize, pieceSize, [5, 6]);
 * ```
 */
export function rebuild(coder: ErasureCoder, downloaded: ReadonlyMap<number, Uint8Array>, encryptedSize: number, pieceSize: number, numbers: readonly number[]): Map<number, Uint8Array> {
  const out = new Map(numbers.map((n) => [n, new Uint8Array(pieceSize)] as const));
  const decoder = coder.createSegmentDecoder(encryptedSize);
  const run = Math.max(1, Math.floor(RUN_BYTES / coder.stripeSize)) * coder.scheme.shareSize;
  for (let at = 0; at < pieceSize; at += run) {
    const end = Math.min(pieceSize, at + run);
    const stripes = decoder.push([...downloaded].map(([n, piece]) => [n, piece.subarray(at, end)] as const));
    const encoded = coder.encodeStripes(stripes);
    for (const [n, piece] of out) piece.set(encoded[n]!, at);
  }
  return out;
}
