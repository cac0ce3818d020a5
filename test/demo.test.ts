/** The storage part of `npm run demo` runs end to end on a fresh machine (the transfer part has its own test). */
import { describe, expect, it } from 'vitest';
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
});
