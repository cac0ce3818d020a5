import { describe, expect, it } from 'vitest';
import { exitSectionOf, keptHalf } from '../../bench/exit-results.js';

const SECTION = `## Graceful exit (issue 11)

| measure | value | baseline (same run) | ratio | goal |
|---|---|---|---|---|
| graceful exit of 4,000 × 256 KiB to 20 nodes over TCP | 58 MB/s (18.2 s) | raw copy 121 MB/s | 0.48 | ≥ 0.7 — not met |
| CPU per transferred piece | 1,158 µs | raw 320 µs | 0.32 |  |
| gathering one exiting node over PostgreSQL: 1,000,000 segments | 22.9 s | bare SELECT scan 14.6 s | 0.64 | ≥ 0.5 |
| satellite peak memory (RSS) during gathering | 229 MiB | limit 512 MiB | 2.24 | ≥ 1 (< 512 MiB) |

Exit: each party in its own process.

Exit, where the time goes: CPU-bound.

Gathering: PostgreSQL 15.20, bulk-loaded in 47 s.

Load average at the end (1 / 5 / 15 min): 6.2 / 7.1 / 9.1.

_Exit rows measured 2026-12-03, gathering rows 2026-12-02, on 2 × AMD EPYC, Node v20.20.2._
`;

describe('the exit bench keeps the half that did not run', () => {
  it('finds the section between its markers', () => {
    expect(exitSectionOf(`x\n<!-- section:exit -->\n${SECTION}<!-- end:exit -->\n`)).toBe(SECTION);
    expect(exitSectionOf('<!-- section:repair -->\nx\n<!-- end:repair -->')).toBeUndefined();
  });

  it('keeps the gathering rows and notes when only the throughput ran, with their date', () => {
    const kept = keptHalf(SECTION, 'gather');
    expect(kept.rows.map((r) => [r.name.slice(0, 20), r.ratio, r.goal])).toEqual([
      ['gathering one exitin', 0.64, '≥ 0.5'],
      ['satellite peak memor', 2.24, '≥ 1 (< 512 MiB)'],
    ]);
    expect(kept.rows[0]!.value).toBe('22.9 s');
    expect(kept.notes[0]).toBe('Gathering: PostgreSQL 15.20, bulk-loaded in 47 s.');
    expect(kept.notes[1]).toMatch(/^Gathering rows: kept from an earlier run \(measured 2026-12-02\)/);
    expect(kept.notes).toHaveLength(2);
  });

  it('keeps the throughput rows and notes when only the gathering ran', () => {
    const kept = keptHalf(SECTION, 'throughput');
    expect(kept.rows.map((r) => r.ratio)).toEqual([0.48, 0.32]);
    expect(kept.notes.slice(0, 2)).toEqual(['Exit: each party in its own process.', 'Exit, where the time goes: CPU-bound.']);
    expect(kept.notes[2]).toMatch(/^Exit rows: kept from an earlier run \(measured 2026-12-03\)/);
  });

  it('keeps the first date through a second partial run, and nothing from a section without that half', () => {
    const once = keptHalf(SECTION, 'gather');
    const rerendered = ['## Graceful exit (issue 11)', '', '| measure | value | baseline (same run) | ratio | goal |', '|---|---|---|---|---|',
      '| graceful exit of … | 60 MB/s | raw | 0.50 | ≥ 0.7 |',
      ...once.rows.map((r) => `| ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio.toFixed(2)} | ${r.goal} |`),
      '', 'Exit: new.', ...once.notes.flatMap((n) => ['', n]), '', '_Measured 2026-12-04 on 2 × cpu, Node v20._', ''].join('\n');
    const twice = keptHalf(rerendered, 'gather');
    expect(twice.rows).toEqual(once.rows);
    expect(twice.notes).toEqual(once.notes);
    expect(keptHalf('## Graceful exit (issue 11)\n\nGathering over PostgreSQL not measured.\n', 'gather')).toEqual({ rows: [], notes: [] });
  });
});
