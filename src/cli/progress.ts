/**
 * Progress of long work as people see it: in a terminal, bars redrawn in place (one line per
 * task); anywhere else (a pipe, a log file), a plain line each time a task passes another tenth
 * of its way, starts or ends — never a carriage return in a log.
 */

/** Where progress goes: a terminal (`isTTY`) or anything else. */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** Redraws in place (default: `sink.isTTY`). */
  readonly tty?: boolean;
  /** Redraws at most this often in a terminal (default 100 ms); ends are always drawn. */
  readonly minRedrawMs?: number;
  /** Plain lines are written each time a task passes a multiple of this (default 10 %). */
  readonly plainStepPercent?: number;
  readonly now?: () => number;
}

/** `[##########..........]` for `fraction` (clamped to 0–1) over `width` cells. */
export function renderBar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.floor(f * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

interface Task {
  label: string;
  percent: number;
  detail: string;
  done: boolean;
  /** The last plain step written (−1: none yet). */
  step: number;
}

/**
 * @example
 * ```ts
 * const progress = new ProgressDisplay(process.stdout);
 * progress.update('sat-1', 'satellite 1abc…', 42, '12 pieces transferred');
 * progress.finish('sat-1', 'completed');
 * progress.close();
 * ```
 */
export class ProgressDisplay {
  readonly #sink: ProgressSink;
  readonly #tty: boolean;
  readonly #minRedrawMs: number;
  readonly #stepPercent: number;
  readonly #now: () => number;
  readonly #tasks = new Map<string, Task>();
  /** Lines drawn by the last redraw (terminal only). */
  #drawn = 0;
  #lastDraw = -Infinity;
  #closed = false;

  constructor(sink: ProgressSink, options: ProgressOptions = {}) {
    this.#sink = sink;
    this.#tty = options.tty ?? sink.isTTY === true;
    this.#minRedrawMs = options.minRedrawMs ?? 100;
    this.#stepPercent = options.plainStepPercent ?? 10;
    this.#now = options.now ?? Date.now;
  }

  /** Shows task `key` at `percent` (0–100) with a short `detail`. */
  update(key: string, label: string, percent: number, detail: string): void {
    if (this.#closed) return;
    const task = this.#tasks.get(key) ?? { label, percent, detail, done: false, step: -1 };
    if (task.done) return;
    Object.assign(task, { label, percent, detail });
    this.#tasks.set(key, task);
    if (this.#tty) {
      if (this.#now() - this.#lastDraw >= this.#minRedrawMs) this.#redraw();
      return;
    }
    const step = Math.floor(Math.min(100, Math.max(0, percent)) / this.#stepPercent);
    if (step > task.step) {
      task.step = step;
      this.#sink.write(`${label}: ${percent.toFixed(1)} % ${detail}\n`);
    }
  }

  /** Ends task `key` with its last words (`completed`, `failed: …`). */
  finish(key: string, label: string, percent: number, outcome: string): void {
    if (this.#closed) return;
    const task = this.#tasks.get(key) ?? { label, percent, detail: '', done: false, step: -1 };
    if (task.done) return;
    Object.assign(task, { label, percent, detail: outcome, done: true });
    this.#tasks.set(key, task);
    if (this.#tty) this.#redraw();
    else this.#sink.write(`${label}: ${outcome}\n`);
  }

  /** Leaves the cursor below the bars; later updates are ignored. */
  close(): void {
    if (this.#closed) return;
    if (this.#tty && this.#tasks.size > 0) this.#redraw();
    this.#closed = true;
    if (this.#tty && this.#drawn > 0) this.#sink.write('\n');
  }

  #redraw(): void {
    this.#lastDraw = this.#now();
    const width = Math.max(40, (this.#sink.columns || 80) - 1); // 0: a terminal that does not say
    const lines = [...this.#tasks.values()].map((t) => fit(t.done ? `${t.label} ${renderBar(t.percent / 100, 20)} ${t.detail}` : `${t.label} ${renderBar(t.percent / 100, 20)} ${t.percent.toFixed(1).padStart(5)} % ${t.detail}`, width));
    // Back to the first line drawn last time, then every line rewritten and cleared to its end.
    const up = this.#drawn > 1 ? `\x1b[${this.#drawn - 1}A` : '';
    this.#sink.write(`\r${up}${lines.map((line) => `\x1b[2K${line}`).join('\n')}`);
    this.#drawn = lines.length;
  }
}

function fit(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
