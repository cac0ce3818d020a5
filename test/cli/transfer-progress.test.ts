/** A copy's progress: a live bar in a terminal, plain lines anywhere else, nothing with --quiet. */
import { describe, expect, it } from 'vitest';
import { transferProgress } from '../../src/cli/objects/transfer-progress.js';

function sink(isTTY: boolean): { written: string[]; stream: { write(text: string): boolean; isTTY: boolean; columns: number; cursorTo?: unknown } } {
  const written: string[] = [];
  return { written, stream: { write: (text: string) => (written.push(text), true), isTTY, columns: 160 } };
}

describe('the progress of a copy', () => {
  it('in a terminal, draws one bar with bytes, rate, ETA and files, and clears it at the end', () => {
    const { written, stream } = sink(true);
    const lines: string[] = [];
    const progress = transferProgress(stream, (l) => lines.push(l), false);
    progress.addTotal(2 * 1024 * 1024, 2);
    progress.advance(1024 * 1024);
    progress.fileDone('a -> hf://b/a');
    progress.advance(1024 * 1024);
    progress.fileDone('b -> hf://b/b');
    progress.stop();
    const drawn = written.join('');
    expect(drawn).toMatch(/of 2\.00 MiB/);
    expect(drawn).toMatch(/ETA \d+ s/);
    expect(drawn).toMatch(/\/s \|/);
    expect(drawn).toContain('2/2 files');
    expect(lines).toEqual([]); // per-file lines would tear the bar
  });

  it('in a pipe or a log, writes one plain line per file and no carriage return', () => {
    const { written, stream } = sink(false);
    const lines: string[] = [];
    const progress = transferProgress(stream, (l) => lines.push(l), false);
    progress.addTotal(10, 1);
    progress.advance(10);
    progress.fileDone('a -> hf://b/a (10 B)');
    progress.stop();
    expect(written).toEqual([]);
    expect(lines).toEqual(['a -> hf://b/a (10 B)']);
  });

  it('says nothing when quiet, even in a terminal', () => {
    const { written, stream } = sink(true);
    const lines: string[] = [];
    const progress = transferProgress(stream, (l) => lines.push(l), true);
    progress.addTotal(10, 1);
    progress.advance(10);
    progress.fileDone('a');
    progress.stop();
    expect(written).toEqual([]);
    expect(lines).toEqual([]);
  });
});
