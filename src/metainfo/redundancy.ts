import { InvalidArgumentError } from '../core/errors.js';
import type { RedundancyScheme } from './metabase/types.js';

/**
 * Bytes of each piece for a segment of `encryptedSize` bytes: the segment is padded to whole
 * stripes of `required × shareSize` bytes, and each piece holds one share per stripe.
 */
export function pieceSizeFor(encryptedSize: number, redundancy: RedundancyScheme): number {
  const stripe = redundancy.required * redundancy.shareSize;
  return Math.max(1, Math.ceil(encryptedSize / stripe)) * redundancy.shareSize;
}

/** Throws `InvalidArgumentError` naming the field unless 1 ≤ required ≤ repair ≤ success ≤ total ≤ 255 and the share size is a multiple of 256. */
export function checkRedundancy(r: RedundancyScheme, field = 'redundancy'): void {
  if (!(r.required >= 1 && r.required <= r.repair && r.repair <= r.success && r.success <= r.total && r.total <= 255)) {
    throw new InvalidArgumentError(`"${field}" must satisfy 1 ≤ required ≤ repair ≤ success ≤ total ≤ 255, got ${r.required}/${r.repair}/${r.success}/${r.total}`);
  }
  if (r.shareSize % 256 !== 0 || r.shareSize <= 0 || r.shareSize > 64 * 1024) {
    throw new InvalidArgumentError(`"${field}.shareSize" must be a positive multiple of 256 up to 64 KiB, got ${r.shareSize}`);
  }
}
