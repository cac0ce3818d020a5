/**
 * How a copy shows its progress: in a terminal, one live bar (cli-progress) with bytes, rate,
 * ETA and files done; anywhere else (a pipe, a log), one plain line per file finished and a
 * summary — never a carriage return in a log.
 */
import cliProgress from 'cli-progress';
import { formatBytes } from '../format.js';

/** Where a bar is drawn. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

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
 * A live bar on `stream` when it is a terminal and `quiet` is off; else plain lines to `out`.
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
export function transferProgress(stream: ProgressStream, out: (line: string) => void, quiet: boolean): TransferProgress {
  let total = 0;
  let files = 0;
  let done = 0;
  let filesDone = 0;
  if (quiet || stream.isTTY !== true) {
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
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: '{bar} {percentage}% | {doneText} of {totalText} | {rateText} | ETA {etaText} | {filesDone}/{files} files',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
      fps: 10,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (): Record<string, string | number> => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = done / seconds;
    const eta = rate > 0 && total > done ? Math.round((total - done) / rate) : 0;
    return { doneText: formatBytes(done), totalText: formatBytes(total), rateText: `${formatBytes(Math.round(rate))}/s`, etaText: `${eta} s`, filesDone, files };
  };
  bar.start(1, 0, payload());
  let stopped = false;
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
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
