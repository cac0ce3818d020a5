/**
 * Progress as people see it: cli-progress bars in a terminal (tasks, and a copy's bytes), plain
 * lines in a log, nothing when quiet — and a terminal never left with its cursor hidden.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProgressDisplay, transferProgress } from '../../src/cli/progress.js';
import { CLI_CWD } from './support/cli.js';

const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';

function sink(isTTY: boolean) {
  const written: string[] = [];
  return { written, text: () => written.join(''), write: (t: string) => (written.push(t), true), isTTY, columns: 120 };
}

/** The cursor was hidden while a bar was live and is shown again after the last hiding. */
function cursorRestored(text: string): boolean {
  return text.includes(HIDE) && text.lastIndexOf(SHOW) > text.lastIndexOf(HIDE);
}

describe('progress of several tasks', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('writes a plain line per tenth of the way (and the end) when not in a terminal, never a carriage return', () => {
    const out = sink(false);
    const progress = new ProgressDisplay(out);
    for (let percent = 0; percent <= 100; percent += 2.5) progress.update('a', 'satellite a', percent, 'moving');
    progress.finish('a', 'satellite a', 100, 'completed');
    progress.update('a', 'satellite a', 100, 'late'); // after its end: ignored
    progress.close();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(12); // 0, 10, …, 100 and the end
    expect(lines[0]).toBe('satellite a: 0.0 % moving');
    expect(lines.at(-1)).toBe('satellite a: completed');
    expect(out.text()).not.toMatch(/\r|\x1b/);
    vi.advanceTimersByTime(1000);
    expect(vi.getTimerCount()).toBe(0); // no redraw loop without a terminal
  });

  it('in a log, whatever the updates (out of range, not a number, repeated, late), writes at most a line per tenth and one end per task, never an escape', () => {
    const percent = fc.oneof(fc.double({ min: -50, max: 150 }), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 100));
    const event = fc.record({ key: fc.constantFrom('a', 'b', 'c'), percent, end: fc.boolean(), detail: fc.string({ maxLength: 20 }).map((d) => d.replace(/[\r\n\x1b]/g, '')) });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), (events) => {
        const lines: string[] = [];
        const progress = new ProgressDisplay(sink(false), { out: (l) => lines.push(l) });
        for (const e of events) (e.end ? progress.finish : progress.update).call(progress, e.key, `task ${e.key}`, e.percent, e.detail);
        progress.close();
        progress.update('a', 'task a', 50, 'after close');
        for (const key of ['a', 'b', 'c']) {
          const mine = lines.filter((l) => l.startsWith(`task ${key}:`));
          const ends = events.filter((e) => e.key === key && e.end).length > 0 ? 1 : 0;
          expect(mine.length).toBeLessThanOrEqual(11 + ends); // 0 %, 10 %, …, 100 %, and the end
        }
        expect(lines.join('\n')).not.toMatch(/[\r\x1b]/);
        for (const line of lines) {
          const shown = /^task .: (\S+) % /.exec(line)?.[1];
          if (shown !== undefined) expect(Number(shown)).toSatisfy((n: number) => n >= 0 && n <= 100); // never NaN or 150 %
        }
        expect(lines.some((l) => l.includes('after close'))).toBe(false);
      }),
    );
  });

  it('sends plain lines where it is told (stdout) while bars would go to the sink', () => {
    const out = sink(false);
    const lines: string[] = [];
    const progress = new ProgressDisplay(out, { out: (l) => lines.push(l) });
    progress.update('a', 'task 1', 55, 'RUNNING');
    progress.finish('b', 'task 2', 100, 'SUCCESS');
    progress.close();
    expect(out.written).toEqual([]);
    expect(lines).toEqual(['task 1: 55.0 % RUNNING', 'task 2: SUCCESS']);
  });

  it('in a terminal, draws a live bar per task, redrawn in place, then leaves them below with the cursor shown', () => {
    const out = sink(true);
    const progress = new ProgressDisplay(out);
    progress.update('a', 'sat a', 10, 'moving');
    progress.update('b', 'sat b', 30, 'moving');
    vi.advanceTimersByTime(150);
    const first = out.text();
    expect(first).toContain(HIDE);
    expect(first).toMatch(/sat a \S+ +10\.0 % moving/);
    expect(first).toMatch(/sat b \S+ +30\.0 % moving/);
    progress.update('a', 'sat a', 60, 'moving');
    vi.advanceTimersByTime(150);
    const redraw = out.text().slice(first.length);
    expect(redraw).toMatch(/sat a \S+ +60\.0 % moving/);
    expect(redraw).toMatch(/\x1b\[\d*A/); // back up to the first bar: in place, not a new line
    progress.finish('a', 'sat a', 100, 'completed');
    progress.close();
    expect(out.text()).toMatch(/sat a \S+ completed/);
    expect(cursorRestored(out.text())).toBe(true);
    expect(out.text().endsWith('\n')).toBe(true);
    const closed = out.text().length;
    progress.update('b', 'sat b', 50, 'late'); // after close: ignored
    vi.advanceTimersByTime(1000);
    expect(out.text()).toHaveLength(closed);
    expect(vi.getTimerCount()).toBe(0); // the redraw loop ended
  });

  it('in a terminal, writes nothing at all when no task was shown', () => {
    const out = sink(true);
    new ProgressDisplay(out).close();
    expect(out.written).toEqual([]);
  });

  it('never keeps a process alive by itself: one that forgets to close its bar still ends, cursor shown', () => {
    const script = `
      import { ProgressDisplay } from './src/cli/progress.ts';
      const display = new ProgressDisplay({ isTTY: true, columns: 80, write: (t) => process.stdout.write(t) });
      display.update('a', 'sat a', 10, 'moving');
      setTimeout(() => display.update('a', 'sat a', 20, 'moving'), 300);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: CLI_CWD, encoding: 'utf8', timeout: 30_000 });
    expect(child.signal, 'still running after 30 s').toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/sat a \S+ +10\.0 % moving/);
    expect(cursorRestored(child.stdout)).toBe(true);
  });

  it('shows the cursor again when the process exits while a bar is live', () => {
    // A process of its own that exits (as a second Ctrl-C makes it) without closing its bar.
    const script = `
      import { ProgressDisplay } from './src/cli/progress.ts';
      const display = new ProgressDisplay({ isTTY: true, columns: 80, write: (t) => process.stdout.write(t) });
      display.update('a', 'sat a', 10, 'moving');
      setTimeout(() => process.exit(130), 300);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: CLI_CWD, encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(130);
    expect(child.stdout).toMatch(/sat a/);
    expect(cursorRestored(child.stdout)).toBe(true);
  });
});

describe('the progress of a copy', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('in a terminal, draws one bar with bytes, rate, ETA and files, and clears it at the end', () => {
    const out = sink(true);
    const lines: string[] = [];
    const progress = transferProgress(out, (l) => lines.push(l), false);
    progress.addTotal(2 * 1024 * 1024, 2);
    progress.advance(1024 * 1024);
    vi.advanceTimersByTime(1000);
    progress.fileDone('a -> hf://b/a');
    progress.advance(1024 * 1024);
    progress.fileDone('b -> hf://b/b');
    vi.advanceTimersByTime(150);
    progress.stop();
    const drawn = out.text();
    expect(drawn).toMatch(/50% \| 1\.00 MiB of 2\.00 MiB \| \S+ \S+\/s \| ETA \d+ s \| 0\/2 files/);
    expect(drawn).toContain('2/2 files');
    expect(cursorRestored(drawn)).toBe(true);
    expect(lines).toEqual([]); // per-file lines would tear the bar
    expect(vi.getTimerCount()).toBe(0);
  });

  it('in a pipe or a log, writes one plain line per file and no carriage return', () => {
    const out = sink(false);
    const lines: string[] = [];
    const progress = transferProgress(out, (l) => lines.push(l), false);
    progress.addTotal(10, 1);
    progress.advance(10);
    progress.fileDone('a -> hf://b/a (10 B)');
    progress.stop();
    expect(out.written).toEqual([]);
    expect(lines).toEqual(['a -> hf://b/a (10 B)']);
  });

  it('says nothing when quiet, even in a terminal', () => {
    const out = sink(true);
    const lines: string[] = [];
    const progress = transferProgress(out, (l) => lines.push(l), true);
    progress.addTotal(10, 1);
    progress.advance(10);
    progress.fileDone('a');
    progress.stop();
    vi.advanceTimersByTime(1000);
    expect(out.written).toEqual([]);
    expect(lines).toEqual([]);
  });
});
