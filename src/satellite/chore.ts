import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * A piece of background work run every `intervalMs` on an injected clock. A run never
 * overlaps the previous one; errors go to `onError` and the chore keeps going.
 */
export class Chore {
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(
    readonly name: string,
    private readonly work: () => Promise<void>,
    private readonly options: { intervalMs: number; clock: Clock; onError?: (err: unknown) => void },
  ) {}

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  /** Runs the work now (waiting for a run in progress first). */
  async runOnce(): Promise<void> {
    while (this.#running) await this.#running;
    this.#running = this.work()
      .catch((err: unknown) => this.options.onError?.(err))
      .finally(() => (this.#running = undefined));
    await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(): void {
    this.#timer = this.options.clock.setTimeout(() => {
      void this.runOnce().finally(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, this.options.intervalMs);
  }
}
