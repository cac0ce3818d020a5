/**
 * Progress of long work as people see it, for every command: in a terminal, live bars drawn by
 * cli-progress (one per task, or one for a whole copy); anywhere else (a pipe, a log file), plain
 * lines of our own — cli-progress has no mode that writes a line per step without carriage
 * returns — and nothing at all when quiet.
 */
import cliProgress from 'cli-progress';
import { formatBytes } from './format.js';

/** Where bars are drawn: a terminal (`isTTY`) or anything else. */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** What a terminal needs back if the process ends while a bar is live: the cursor shown. */
const SHOW_CURSOR = '\x1b[?25h';

/**
 * A cli-progress MultiBar on `sink`, with the cursor hidden while it runs. If the process exits
 * before `stop()` (a second Ctrl-C, the stop watchdog, an uncaught error), an exit hook shows the
 * cursor again, so a shell is never left without one. Line wrapping stays on (long lines are cut
 * to the width instead), so there is no other terminal mode to restore.
 */
function liveBars(sink: ProgressSink, clearOnComplete: boolean): { bars: cliProgress.MultiBar; stop(): void } {
  const bars = new cliProgress.MultiBar(
    { stream: sink as NodeJS.WritableStream, hideCursor: true, linewrap: true, clearOnComplete, fps: 10, barsize: 24, format: '{bar}' },
    cliProgress.Presets.shades_classic,
  );
  // The redraw timer never keeps a process alive by itself (the work it shows does): a caller
  // that fails before stop() ends instead of hanging, and the exit hook below still runs.
  const unref = (): void => void (bars as unknown as { timer?: { unref?(): void } | null }).timer?.unref?.();
  bars.on('start', unref);
  bars.on('update-post', unref);
  const restore = (): void => void sink.write(SHOW_CURSOR);
  process.once('exit', restore);
  let stopped = false;
  return {
    bars,
    stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', restore);
      bars.stop();
    },
  };
}

export interface ProgressOptions {
  /** Where plain lines go when `sink` is not a terminal (default: written to `sink`). */
  readonly out?: (line: string) => void;
  /** Plain lines are written each time a task passes a multiple of this (default 10 %). */
  readonly plainStepPercent?: number;
}

interface Task {
  /** Its bar, in a terminal. */
  bar?: cliProgress.SingleBar;
  done: boolean;
  /** The last plain step written (−1: none yet). */
  step: number;
}

/**
 * Several tasks, each with a percent and a short detail (the exits of a node, transfer tasks):
 * a bar per task in a terminal; otherwise a plain line when a task starts, passes another tenth
 * and ends — never a carriage return in a log.
 *
 * @example
 * ```ts
 * const progress = new ProgressDisplay(process.stderr, { out: console.log });
 * progress.update('sat-1', 'satellite 1abc…', 42, '12 pieces transferred');
 * progress.finish('sat-1', 'satellite 1abc…', 100, 'completed');
 * progress.close();
 * ```
 */
export class ProgressDisplay {
  readonly #sink: ProgressSink;
  readonly #out: (line: string) => void;
  readonly #stepPercent: number;
  readonly #tasks = new Map<string, Task>();
  /** Started with the first task drawn, so a display that shows nothing writes nothing. */
  #live?: ReturnType<typeof liveBars>;
  #closed = false;

  constructor(sink: ProgressSink, options: ProgressOptions = {}) {
    this.#sink = sink;
    this.#out = options.out ?? ((line) => void sink.write(`${line}\n`));
    this.#stepPercent = options.plainStepPercent ?? 10;
  }

  /** Shows task `key` at `percent` (0–100) with a short `detail`. */
  update(key: string, label: string, percent: number, detail: string): void {
    const task = this.#task(key);
    if (task === undefined) return;
    if (this.#sink.isTTY === true) {
      this.#draw(task, label, percent, `${clamp(percent).toFixed(1).padStart(5)} % ${detail}`);
      return;
    }
    const step = Math.floor(clamp(percent) / this.#stepPercent);
    if (step > task.step) {
      task.step = step;
      this.#out(`${label}: ${clamp(percent).toFixed(1)} % ${detail}`);
    }
  }

  /** Ends task `key` with its last words (`completed`, `failed: …`); later updates of it are ignored. */
  finish(key: string, label: string, percent: number, outcome: string): void {
    const task = this.#task(key);
    if (task === undefined) return;
    task.done = true;
    if (this.#sink.isTTY === true) this.#draw(task, label, percent, outcome);
    else this.#out(`${label}: ${outcome}`);
  }

  /** Draws the bars one last time and leaves the cursor below them, shown; later calls are ignored. */
  close(): void {
    this.#closed = true;
    this.#live?.stop();
  }

  #task(key: string): Task | undefined {
    if (this.#closed) return undefined;
    let task = this.#tasks.get(key);
    if (task === undefined) this.#tasks.set(key, (task = { done: false, step: -1 }));
    return task.done ? undefined : task;
  }

  #draw(task: Task, label: string, percent: number, status: string): void {
    const payload = { label, status };
    if (task.bar === undefined) {
      this.#live ??= liveBars(this.#sink, false);
      task.bar = this.#live.bars.create(100, clamp(percent), payload, { format: '{label} {bar} {status}' });
    } else task.bar.update(clamp(percent), payload);
  }
}

function clamp(percent: number): number {
  return Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0;
}

/** The progress of a copy: bytes and files, known as they are planned and moved. */
export interface TransferProgress {
  /** More bytes are known to be coming (a file was planned). */
  addTotal(bytes: number, files: number): void;
  /** `bytes` more were moved. */
  advance(bytes: number): void;
  /** A file finished; `line` is its plain-text report. */
  fileDone(line: string): void;
  /** Removes the bar (before the summary is printed). */
  stop(): void;
}

/**
 * A copy's progress: one live bar with bytes, rate, ETA and files done on `sink` when it is a
 * terminal and `quiet` is off (per-file lines would tear it, so none); else one plain line per
 * file to `out`, and nothing when `quiet`.
 *
 * @example
 * ```ts
 * const progress = transferProgress(process.stderr, console.log, false);
 * progress.addTotal(1024, 1);
 * progress.advance(1024);
 * progress.fileDone('copied a.txt');
 * progress.stop();
 * ```
 */
export function transferProgress(sink: ProgressSink, out: (line: string) => void, quiet: boolean): TransferProgress {
  let total = 0;
  let files = 0;
  let done = 0;
  let filesDone = 0;
  if (quiet || sink.isTTY !== true) {
    return {
      addTotal: (bytes, n) => void ((total += bytes), (files += n)),
      advance: (bytes) => void (done += bytes),
      fileDone: (line) => {
        filesDone++;
        if (!quiet) out(line);
      },
      stop: () => {},
    };
  }
  // Rate and ETA over the whole copy, in our units (cli-progress's own are plain numbers).
  const started = Date.now();
  const payload = (): Record<string, string | number> => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = done / seconds;
    const eta = rate > 0 && total > done ? Math.round((total - done) / rate) : 0;
    return { doneText: formatBytes(done), totalText: formatBytes(total), rateText: `${formatBytes(Math.round(rate))}/s`, etaText: `${eta} s`, filesDone, files };
  };
  const live = liveBars(sink, true);
  const bar = live.bars.create(1, 0, payload(), { format: '{bar} {percentage}% | {doneText} of {totalText} | {rateText} | ETA {etaText} | {filesDone}/{files} files' });
  return {
    addTotal(bytes, n) {
      total += bytes;
      files += n;
      bar.setTotal(Math.max(1, total));
      bar.update(done, payload());
    },
    advance(bytes) {
      done += bytes;
      bar.update(done, payload());
    },
    fileDone() {
      filesDone++;
      bar.update(done, payload());
    },
    stop: () => live.stop(),
  };
}
