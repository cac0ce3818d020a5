/**
 * `Piecestore.Retain`, the one call of garbage collection: a satellite sends a storage node the
 * bloom filter of the piece ids it must keep. Unary; satellite → node:
 *
 * - `createdAt` — the satellite's time the filter stands for: the node may collect only pieces
 *   it stored before it (minus its own clock-skew margin);
 * - `filter` — an encoded {@link BloomFilter} (bloom-filter.ts).
 *
 * The node answers `{ queued: true }` once the filter decoded and the pass is queued; the pass
 * itself runs in the background. Only a satellite the node trusts may call it: the caller is
 * the handshake's identity, never a field of the request.
 */
import { s, type Infer } from '../../codec/index.js';
import { unaryMethod } from '../../rpc/method.js';
import { BLOOM_FILTER_HEADER_BYTES, DEFAULT_MAX_BLOOM_FILTER_BYTES } from './bloom-filter.js';

/** Largest encoded filter a Retain request may carry: a default-capped filter and its header. */
export const MAX_RETAIN_FILTER_BYTES = BLOOM_FILTER_HEADER_BYTES + DEFAULT_MAX_BLOOM_FILTER_BYTES;

export const RetainRequest = s.object({
  createdAt: s.int({ min: 0 }),
  filter: s.bytes({ max: MAX_RETAIN_FILTER_BYTES }),
});
export type RetainRequest = Infer<typeof RetainRequest>;

export const RetainResponse = s.object({
  /** The pass is queued (it replaces one still queued for the same satellite). */
  queued: s.bool(),
});
export type RetainResponse = Infer<typeof RetainResponse>;

/** The `Piecestore.Retain` method: the satellite sends a node the bloom filter of pieces it must keep. */
export const PiecestoreRetain = unaryMethod('Piecestore.Retain', RetainRequest, RetainResponse);
