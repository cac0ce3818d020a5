/**
 * The event queue both exit runners drive their pure machine through (the node's `ExitWorker`,
 * the satellite's `CoordinatorSessionRunner`): one event at a time, each handled to the end —
 * its transition and every effect it returns, awaited — before the next is taken. An event
 * dispatched meanwhile (by an effect, a timer, a stream) waits its turn.
 */
export class EventQueue<E> {
  readonly #events: E[] = [];
  readonly #handle: (event: E) => Promise<void>;
  #draining = false;

  /** `handle` takes one event through the machine and runs its effects; what it throws is not caught here. */
  constructor(handle: (event: E) => Promise<void>) {
    this.#handle = handle;
  }

  /** An event is being handled (or more wait). */
  get busy(): boolean {
    return this.#draining;
  }

  dispatch(event: E): void {
    this.#events.push(event);
    if (!this.#draining) void this.#drain();
  }

  /** Forgets the events waiting (the one being handled goes on). */
  clear(): void {
    this.#events.length = 0;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#events.length > 0) await this.#handle(this.#events.shift()!);
    } finally {
      this.#draining = false;
    }
  }
}
