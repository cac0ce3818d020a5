/**
 * Idempotency keys expire after the core's TTL. A claim already treats an expired key as absent,
 * so expiry never waits for this sweeper; the sweeper only deletes old claims, in batches, so the
 * table stays the size of one TTL's worth of requests.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { TransferTaskStore } from '../store/port.js';

/** Claims deleted per store call: short transactions, even with a large backlog. */
const IDEMPOTENCY_SWEEP_BATCH = 1000;

/** What an {@link IdempotencyKeySweeper} works with. */
export interface IdempotencyKeySweeperOptions {
  readonly store: TransferTaskStore;
  readonly clock: Clock;
  /** A key claimed longer ago than this is expired. */
  readonly ttlMs: number;
  /** Time between the end of one periodic sweep and the start of the next. */
  readonly intervalMs: number;
  /** Told when a periodic sweep fails; the next one runs all the same. */
  readonly onError: (err: unknown) => void;
}

/**
 * Deletes expired idempotency keys on demand ({@link IdempotencyKeySweeper.sweep}) or every
 * `intervalMs` between `start()` and `stop()`. Periodic sweeps never overlap.
 *
 * @example
 * ```ts
 * const sweeper = new IdempotencyKeySweeper({ store, clock, ttlMs: 86_400_000, intervalMs: 3_600_000, onError: console.error });
 * sweeper.start();
 * // ... on shutdown:
 * await sweeper.stop();
 * ```
 */
export class IdempotencyKeySweeper {
  readonly #o: IdempotencyKeySweeperOptions;
  #started = false;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;

  constructor(options: IdempotencyKeySweeperOptions) {
    checkDuration('idempotencyKeyTtlMs', options.ttlMs);
    checkDuration('idempotencySweepIntervalMs', options.intervalMs);
    this.#o = options;
  }

  /** The key's claim time before which a key has expired, as of now. */
  expiredBefore(): number {
    return this.#o.clock.now() - this.#o.ttlMs;
  }

  /** Deletes every key that has expired by now; returns how many. */
  async sweep(): Promise<number> {
    return this.#forgetExpired(() => true);
  }

  /** Sweeps every `intervalMs` from now on (the first sweep after one interval). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    // A periodic sweep still running from before a stop() schedules the next one itself.
    if (!this.#running) this.#schedule();
  }

  /** Stops the periodic sweeps; waits for a running one, which ends after its current batch. */
  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #forgetExpired(goOn: () => boolean): Promise<number> {
    const claimedBefore = this.expiredBefore();
    let forgotten = 0;
    for (;;) {
      const batch = await this.#o.store.forgetIdempotencyKeys(claimedBefore, IDEMPOTENCY_SWEEP_BATCH);
      forgotten += batch;
      if (batch < IDEMPOTENCY_SWEEP_BATCH || !goOn()) return forgotten;
    }
  }

  #schedule(): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#forgetExpired(() => this.#started)
        .then(() => undefined, (err: unknown) => this.#o.onError(err))
        .finally(() => {
          this.#running = undefined;
          if (this.#started) this.#schedule();
        });
    }, this.#o.intervalMs);
  }
}

function checkDuration(name: string, ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0) throw new InvalidArgumentError(`"${name}" expected a positive number of milliseconds, got ${ms}`);
}
