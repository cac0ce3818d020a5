/**
 * A fixed-window counter per key (a project, a node), in bounded memory: when it tracks as many
 * keys as it may, it sweeps ended windows, and refuses new keys while it is still full — under a
 * flood, reports are dropped rather than memory grown.
 */
export class WindowLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly options: { readonly limit: number; readonly windowMs: number; readonly maxKeys: number }) {}

  /** Counts one event for `key` at `now`; false when the key is over its limit (or no key can be tracked). */
  take(key: string, now: number): boolean {
    const { limit, windowMs, maxKeys } = this.options;
    let window = this.#windows.get(key);
    if (window !== undefined && now - window.start >= windowMs) window = undefined;
    if (window === undefined) {
      if (!this.#windows.has(key) && this.#windows.size >= maxKeys) this.#sweep(now);
      if (!this.#windows.has(key) && this.#windows.size >= maxKeys) return false;
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    if (window.count >= limit) return false;
    window.count++;
    return true;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#windows.size;
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) if (now - window.start >= this.options.windowMs) this.#windows.delete(key);
  }
}
