/** Progress reports that never go backwards and never exceed what is known. */
import type { Progress } from './options.js';

export class ProgressTracker {
  #done = 0;
  readonly #total: number | undefined;
  readonly #report: ((progress: Progress) => void) | undefined;

  constructor(report: ((progress: Progress) => void) | undefined, total: number | undefined) {
    this.#report = report;
    this.#total = total;
  }

  get done(): number {
    return this.#done;
  }

  /** Adds `bytes` and reports. */
  add(bytes: number): void {
    if (bytes <= 0) return;
    this.#done += bytes;
    this.#emit();
  }

  /** Reports the final count (once everything is stored or read). */
  finish(done: number): void {
    if (done > this.#done) this.#done = done;
    this.#emit();
  }

  #emit(): void {
    if (!this.#report) return;
    const bytesTotal = this.#total === undefined ? undefined : Math.max(this.#total, this.#done);
    this.#report(bytesTotal === undefined ? { bytesDone: this.#done } : { bytesDone: this.#done, bytesTotal });
  }
}
