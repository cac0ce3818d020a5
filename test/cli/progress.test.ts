/** Progress as an operator sees it: bars redrawn in place in a terminal, plain lines in a log. */
import { describe, expect, it } from 'vitest';
import { ProgressDisplay, renderBar } from '../../src/cli/progress.js';

function sink(isTTY: boolean) {
  const written: string[] = [];
  return { written, text: () => written.join(''), write: (t: string) => written.push(t), isTTY, columns: 100 };
}

describe('progress', () => {
  it('draws a bar of a fixed width, clamped to empty and full', () => {
    expect(renderBar(0, 10)).toBe('[..........]');
    expect(renderBar(0.45, 10)).toBe('[####......]');
    expect(renderBar(1, 10)).toBe('[##########]');
    expect(renderBar(7, 4)).toBe('[####]');
    expect(renderBar(-1, 4)).toBe('[....]');
    expect(renderBar(Number.NaN, 4)).toBe('[....]');
  });

  it('writes a plain line per tenth of the way (and the end) when not in a terminal, never a carriage return', () => {
    const out = sink(false);
    const progress = new ProgressDisplay(out);
    for (let percent = 0; percent <= 100; percent += 2.5) progress.update('a', 'satellite a', percent, 'moving');
    progress.finish('a', 'satellite a', 100, 'completed');
    progress.close();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(12); // 0, 10, …, 100 and the end
    expect(lines[0]).toBe('satellite a: 0.0 % moving');
    expect(lines.at(-1)).toBe('satellite a: completed');
    expect(out.text()).not.toMatch(/\r|\x1b/);
  });

  it('redraws every task in place in a terminal, at most every so often, and leaves the cursor below', () => {
    const out = sink(true);
    let now = 0;
    const progress = new ProgressDisplay(out, { now: () => now, minRedrawMs: 100 });
    progress.update('a', 'sat a', 10, '');
    progress.update('b', 'sat b', 20, ''); // too soon: not drawn
    expect(out.written).toHaveLength(1);
    now = 200;
    progress.update('b', 'sat b', 30, '');
    expect(out.written).toHaveLength(2);
    // From the start of the one line drawn before, each line cleared before it is rewritten.
    expect(out.written[1]).toBe(`\r\x1b[2Ksat a [##..................]  10.0 % \n\x1b[2Ksat b [######..............]  30.0 % `);
    progress.finish('a', 'sat a', 100, 'completed'); // ends are always drawn
    expect(out.written).toHaveLength(3);
    expect(out.written[2]).toMatch(/^\r\x1b\[1A\x1b\[2Ksat a \[#{20}\] completed\n/); // two lines drawn: back up one
    progress.close();
    expect(out.text().endsWith('\n')).toBe(true);
    progress.update('a', 'sat a', 50, 'late'); // after close: ignored
    expect(out.text().endsWith('\n')).toBe(true);
  });
});
