import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProgress2Line, Progress2Reader, transferPercentage } from '../../../src/transfer/rsync/progress.js';

// Captured from rsync 3.5.0 --info=progress2 writing to a file (LC_ALL=C).
const CAPTURED =
  '\r         32,768   0%    0.00kB/s    0:00:00  \r      8,716,288  43%    7.83MB/s    0:00:01  ' +
  '\r     17,432,576  87%    7.82MB/s    0:00:00  \r     20,000,000  99%    8.12MB/s    0:00:02 (xfr#1, to-chk=2/4)' +
  '\r     20,000,003 100%    8.12MB/s    0:00:02 (xfr#2, to-chk=0/4)\n';

describe('rsync progress2 output', () => {
  it('parses whole-transfer bytes, percent, rate, time and file counters', () => {
    expect(parseProgress2Line('     20,000,000  99%    8.12MB/s    0:00:02 (xfr#1, to-chk=2/4)')).toEqual({
      bytes: 20_000_000,
      percent: 99,
      rate: '8.12MB/s',
      eta: '0:00:02',
      filesTransferred: 1,
      toCheck: { remaining: 2, total: 4 },
    });
    expect(parseProgress2Line('      8.716.288  43%    7,83MB/s    0:00:01')?.bytes).toBe(8_716_288);
  });

  it('ignores anything that is not a progress line', () => {
    expect(parseProgress2Line('')).toBeNull();
    expect(parseProgress2Line('rsync: [sender] link_stat "/x" failed: No such file or directory (2)')).toBeNull();
    expect(parseProgress2Line('sending incremental file list')).toBeNull();
  });

  it('keeps the latest complete line however the output is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: CAPTURED.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const reader = new Progress2Reader();
        let last = 0;
        for (const p of [...points, CAPTURED.length]) {
          reader.feed(CAPTURED.slice(last, p));
          last = p;
        }
        expect(reader.latest).toMatchObject({ bytes: 20_000_003, percent: 100, filesTransferred: 2 });
      }),
    );
  });

  it('waits for the end of a line before using it', () => {
    const reader = new Progress2Reader();
    reader.feed('\r      8,716,288  43%    7.83MB/s    0:00:0');
    expect(reader.latest).toBeUndefined();
    reader.feed('1  \r');
    expect(reader.latest?.bytes).toBe(8_716_288);
  });
});

describe('the reported percentage', () => {
  it('comes from the fixed total and stays below 100 until the run has finished', () => {
    expect(transferPercentage(0, 1000, 0)).toBe(0);
    expect(transferPercentage(333, 1000, 0)).toBe(33.3);
    expect(transferPercentage(1000, 1000, 0)).toBe(99.99);
    expect(transferPercentage(5000, 1000, 0)).toBe(99.99);
    expect(transferPercentage(0, 0, 0)).toBe(0);
    expect(transferPercentage(10, null, 12.5)).toBe(12.5);
  });

  it('never goes below what was already reported, whatever a resumed run counts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.array(fc.nat(), { maxLength: 30 }), (total, counts) => {
        let floor = 0;
        for (const bytes of counts) {
          const next = transferPercentage(bytes, total, floor);
          expect(next).toBeGreaterThanOrEqual(floor);
          expect(next).toBeLessThan(100);
          floor = next;
        }
      }),
    );
  });
});
