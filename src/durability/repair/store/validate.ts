/**
 * Boundary checks every repair queue store runs before touching data, so they all refuse the
 * same inputs with the same `InvalidArgumentError` naming the field, and a refused call changes
 * nothing.
 */
import { InvalidArgumentError } from '../../../core/errors.js';
import { requirePosition } from '../../../metainfo/metabase/position.js';
import type { SegmentPosition } from '../../../metainfo/metabase/types.js';
import { ID_LENGTH, requireBytes, requireCount } from '../../../metainfo/metabase/validate.js';
import type { NewRepairItem } from '../queue-store.js';

export { requireCount };

/** A segment's key: a 16-byte stream id and a position. */
export function requireSegment(streamId: Uint8Array, position: SegmentPosition, field = ''): void {
  requireBytes(streamId, `${field}streamId`, ID_LENGTH);
  requirePosition(position, `${field}position`);
}

export function requireItems(items: readonly NewRepairItem[]): void {
  if (!Array.isArray(items)) throw new InvalidArgumentError('"items" expected an array');
  items.forEach((item, i) => {
    if (typeof item !== 'object' || item === null) throw new InvalidArgumentError(`"items[${i}]" expected {streamId, position, healthy}`);
    requireSegment(item.streamId, item.position, `items[${i}].`);
    requireCount(item.healthy, `items[${i}].healthy`);
  });
}

/** A lease of at least one millisecond. */
export function requireLease(leaseMs: number): void {
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) throw new InvalidArgumentError(`"leaseMs" expected a positive integer, got ${String(leaseMs)}`);
}

/**
 * One item per segment, keeping the lowest health a batch gave it, in (streamId, position)
 * order — a fixed order, so concurrent batches lock rows the same way.
 */
export function distinctItems(items: readonly NewRepairItem[], keyOf: (item: NewRepairItem) => string): NewRepairItem[] {
  const byKey = new Map<string, NewRepairItem>();
  for (const item of items) {
    const key = keyOf(item);
    const seen = byKey.get(key);
    if (seen === undefined || item.healthy < seen.healthy) byKey.set(key, item);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

/** The key a segment sorts by: stream id in hex, then the packed position, zero-padded. */
export function segmentKey(streamId: Uint8Array, position: SegmentPosition): string {
  return `${Buffer.from(streamId.buffer, streamId.byteOffset, streamId.byteLength).toString('hex')}/${position.part.toString(16).padStart(6, '0')}/${position.index.toString(16).padStart(8, '0')}`;
}
