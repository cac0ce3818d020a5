/**
 * Time is injected: domain logic asks a `Clock`, never `Date.now()` or `setTimeout` directly, so
 * tests can advance a {@link ManualClock} instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** What `Clock.setTimeout` returns, to pass back to `Clock.clearTimeout`. */
export type TimerHandle = { readonly __timer: unique symbol } | number | object;

/** The longest delay Node's timers honour. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    // Node fires a delay past 2^31 - 1 ms (~24.8 days) after 1 ms: a long chore interval would spin.
    const t = setTimeout(callback, Math.min(ms, MAX_TIMER_MS));
    // A pending timer must never keep a process alive on its own.
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Lets a timer from {@link systemClock} keep the process alive while it is pending. Timers are
 * unref'd by default so chores never hold a process open; a wait that someone is awaiting (a retry
 * after a dropped connection, with no socket left open) must, or Node exits mid-operation.
 * A no-op for other clocks' handles.
 */
export function holdProcess(handle: TimerHandle): TimerHandle {
  (handle as { ref?: () => void }).ref?.();
  return handle;
}

interface ManualTimer {
  at: number;
  seq: number;
  callback: () => void;
}

/** A clock that moves only when told to. Timers fire in order of due time during `advance`. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<object, ManualTimer>();
  readonly #waiters = new Set<{ count: number; resolve: () => void }>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = {};
    this.#timers.set(handle, { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback });
    for (const waiter of this.#waiters) {
      if (this.#timers.size < waiter.count) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as object);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: [object, ManualTimer] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at > target) continue;
        if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq)) next = entry;
      }
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].callback();
    }
    this.#now = target;
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Resolves once at least `count` timers wait to fire: a test awaits the code under test
   * arming its timer, then {@link advance}s, instead of sleeping and hoping it got there.
   */
  whenPending(count = 1): Promise<void> {
    if (this.#timers.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ count, resolve }));
  }
}
