/** The storage part of `npm run demo` runs end to end on a fresh machine (the transfer part has its own test). */
import { describe, expect, it } from 'vitest';
import { runExitDemo } from '../examples/exit-demo.js';
import { runStorageDemo } from '../examples/storage-demo.js';
import { expectNothingLeftSince, resourceBaseline } from './support/resources.js';

describe('npm run demo', () => {
  it('stores, lists, reads back byte for byte and deletes over a real local network, and leaves nothing running', async () => {
    const baseline = resourceBaseline();
    const lines: string[] = [];
    const result = await runStorageDemo((line) => lines.push(line), { progress: { write: () => true }, bigMiB: 6 });
    expect(result).toEqual({ nodes: 8, bigObjectSegments: 2, intact: true });
    expect(lines.join('\n')).toMatch(/byte for byte identical/);
    expect(lines.join('\n')).toMatch(/Renamed videos\/day-1.mp4 to videos\/best\/day-1.mp4/);
    expect(lines.at(-1)).toMatch(/now hold 0 bytes/);
    await expectNothingLeftSince(baseline);
  });

  it('a node with data exits gracefully with progress, the report row is printed, and with the node off every file comes back identical', async () => {
    const baseline = resourceBaseline();
    const lines: string[] = [];
    const progress: string[] = [];
    const result = await runExitDemo((line) => lines.push(line), { progress: { write: (text: string) => progress.push(text) } });
    expect(result.outcome).toBe('completed');
    expect(result.piecesTransferred).toBeGreaterThan(0);
    expect(result.intact).toBe(true);
    expect(progress.join('')).toMatch(/graceful exit: completed/);
    expect(lines.join('\n')).toMatch(/\n[a-z2-7]{58},0xdemo\d,[^,]+,[^,]+,[^,]+,0\.\d{9},\d+,0,completed,[^\n]*\n/);
    expect(lines.at(-1)).toMatch(/byte for byte identical/);
    await expectNothingLeftSince(baseline);
  });
});
