/**
 * Uniform sampling of segments, pure: Vitter's Algorithm R over one pass of the segment
 * iteration. After `seen` items each has been kept with probability `size / seen`, whatever the
 * order, so every remote segment is equally likely to be audited, however its object is laid
 * out (an object of many segments is audited in proportion to its size, like Storj's).
 */

/** A fixed-size uniform sample of a stream of items. */
export class Reservoir<T> {
  readonly #items: T[] = [];
  #seen = 0;

  /** `random()` returns a number in [0, 1) (injected: tests pass a seeded one). */
  constructor(readonly size: number, private readonly random: () => number = Math.random) {}

  /** Offers one item. */
  add(item: T): void {
    this.#seen++;
    if (this.#items.length < this.size) {
      this.#items.push(item);
      return;
    }
    const at = Math.floor(this.random() * this.#seen);
    if (at < this.size) this.#items[at] = item;
  }

  /** Items offered so far. */
  get seen(): number {
    return this.#seen;
  }

  /** The sample (at most `size` items). */
  get items(): readonly T[] {
    return this.#items;
  }
}
