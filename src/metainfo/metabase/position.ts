/**
 * Segment positions packed into one integer, `part * 2^32 + index`, so an integer column orders
 * segments by (part, index). Parts stay below 2^21 so the packed value is a safe JS integer.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { SegmentPosition } from './types.js';

const INDEX_SPAN = 2 ** 32;
/** Exclusive upper bound of `part` (the packed position must stay below 2^53). */
export const PART_LIMIT = 2 ** 21;

export function requirePosition(position: SegmentPosition, field = 'position'): SegmentPosition {
  if (typeof position !== 'object' || position === null) throw new InvalidArgumentError(`"${field}" expected {part, index}`);
  const { part, index } = position;
  if (!Number.isSafeInteger(part) || part < 0 || part >= PART_LIMIT) {
    throw new InvalidArgumentError(`"${field}.part" expected an integer in [0, ${PART_LIMIT}), got ${String(part)}`);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= INDEX_SPAN) {
    throw new InvalidArgumentError(`"${field}.index" expected an integer in [0, 2^32), got ${String(index)}`);
  }
  return position;
}

/** `{part, index}` → `part * 2^32 + index`. */
export function packPosition(position: SegmentPosition): number {
  return position.part * INDEX_SPAN + position.index;
}

/** The inverse of {@link packPosition}. */
export function unpackPosition(packed: number): SegmentPosition {
  return { part: Math.floor(packed / INDEX_SPAN), index: packed % INDEX_SPAN };
}

/** Orders positions by (part, index). */
export function comparePositions(a: SegmentPosition, b: SegmentPosition): number {
  return a.part - b.part || a.index - b.index;
}
