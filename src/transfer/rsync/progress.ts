/**
 * rsync `--info=progress2` output, read incrementally. rsync rewrites one line with `\r` about
 * once a second and ends it with `\n`:
 *
 * ```text
 * \r    8,716,288  43%    7.83MB/s    0:00:01  \r   20,000,003 100%    8.12MB/s    0:00:02 (xfr#2, to-chk=0/4)\n
 * ```
 *
 * The byte count is this run's whole-transfer count; rsync's own percentage is relative to the
 * size of every listed file, so after a resume it can end below 100. We therefore keep only the
 * byte count and compute our percentage from a fixed total (see {@link transferPercentage}).
 */

/** One parsed progress line. */
export interface Progress2Sample {
  /** Bytes this run has processed (sent or matched). */
  readonly bytes: number;
  /** rsync's own percentage (informative only). */
  readonly percent: number;
  /** Rate as rsync prints it, e.g. `7.83MB/s`. */
  readonly rate: string;
  /** Time left (or, on the last line, time taken) as rsync prints it, e.g. `0:00:01`. */
  readonly eta: string;
  /** Files sent so far in this run, when the line says. */
  readonly filesTransferred?: number;
  /** Files still to check / total files, when the line says. */
  readonly toCheck?: { readonly remaining: number; readonly total: number };
}

const LINE = /^\s*([\d.,']+)\s+(\d{1,3})%\s+(\S+\/s)\s+(\d+:\d{2}:\d{2})(?:\s+\(xfr#(\d+),\s+(?:to|ir)-chk=(\d+)\/(\d+)\))?\s*$/;

/** Parses one progress2 line; null for anything else (warnings, blank lines). */
export function parseProgress2Line(line: string): Progress2Sample | null {
  const m = LINE.exec(line);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return null;
  // Thousands separators depend on the locale (`,`, `.` or `'`); the count is always an integer.
  const bytes = Number(m[1].replace(/[.,']/g, ''));
  if (!Number.isSafeInteger(bytes)) return null;
  const sample: Progress2Sample = { bytes, percent: Number(m[2]), rate: m[3], eta: m[4] };
  if (m[5] && m[6] && m[7]) {
    return { ...sample, filesTransferred: Number(m[5]), toCheck: { remaining: Number(m[6]), total: Number(m[7]) } };
  }
  return sample;
}

/**
 * Splits a stream of output chunks into lines on `\r` or `\n` and keeps the latest progress
 * sample. Feed it whatever arrives; partial lines wait for the rest.
 *
 * @example
 * ```ts
 * const reader = new Progress2Reader();
 * reader.feed('\r  1,048,576  10%   1.00MB/s    0:00:09');
 * reader.feed('  \r');
 * reader.latest?.bytes; // 1048576
 * ```
 */
export class Progress2Reader {
  #pending = '';
  #latest: Progress2Sample | undefined;

  /** The most recent complete progress line, if any. */
  get latest(): Progress2Sample | undefined {
    return this.#latest;
  }

  feed(chunk: string): void {
    const parts = (this.#pending + chunk).split(/[\r\n]/);
    this.#pending = parts.pop() ?? '';
    // A pathological stream without separators must not grow without bound.
    if (this.#pending.length > 4096) this.#pending = this.#pending.slice(-4096);
    for (const part of parts) {
      const sample = parseProgress2Line(part);
      if (sample) this.#latest = sample;
    }
  }
}

/**
 * The percentage to report: `bytes` of `totalBytes`, never below `floor` (the highest value
 * already reported, which survives pauses, resumes and restarts), rounded down to 0.01, and
 * below 100 until the run has really finished (100 means SUCCESS). Returns `floor` when the
 * total is unknown.
 */
export function transferPercentage(bytes: number, totalBytes: number | null, floor: number): number {
  if (totalBytes === null) return floor;
  const raw = totalBytes === 0 ? 0 : (Math.min(bytes, totalBytes) / totalBytes) * 100;
  const capped = Math.min(99.99, Math.floor(raw * 100) / 100);
  return Math.max(floor, capped);
}
