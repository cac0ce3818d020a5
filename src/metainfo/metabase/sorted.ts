/** Binary-search helpers over arrays kept sorted: the memory store's indexes. */

/** The first index whose item is not before the searched position (`items.length` if none). */
export function lowerBound<T>(items: readonly T[], isBefore: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isBefore(items[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `item` where `compare` puts it. */
export function insertSorted<T>(items: T[], item: T, compare: (a: T, b: T) => number): void {
  items.splice(lowerBound(items, (x) => compare(x, item) < 0), 0, item);
}

/** Removes the item that compares equal to `item`; false when there is none. */
export function removeSorted<T>(items: T[], item: T, compare: (a: T, b: T) => number): boolean {
  const at = lowerBound(items, (x) => compare(x, item) < 0);
  if (at === items.length || compare(items[at]!, item) !== 0) return false;
  items.splice(at, 1);
  return true;
}
