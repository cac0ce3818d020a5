/**
 * The exit section has two halves — throughput (the exit against a raw copy) and gathering (over
 * PostgreSQL) — and `HANDOFF_BENCH_EXIT_ONLY` runs one of them. bench/run.ts replaces a section
 * whole, so the half that did not run is read back from bench/results.md here and handed on with
 * this run's rows: its rows and its notes as they were, and a note saying when they were measured.
 */
import type { BenchRow } from './lib.js';

/** The two halves of the exit section. */
export type ExitHalf = 'throughput' | 'gather';

/** What is kept of the half that did not run. */
export interface KeptHalf {
  readonly rows: BenchRow[];
  readonly notes: string[];
}

const GATHER_ROW = /^gathering\b|during gathering/i;
/** Notes of the gathering half start so; the rest (but the load note and the date line) are the throughput half's. */
const GATHER_NOTE = /^Gathering\b/;
/** Notes every run writes afresh (or run.ts does), never kept. */
const FRESH_NOTE = /^(Load average|_)/;
const KEPT_NOTE = /^(Gathering|Exit) rows: kept from an earlier run/;

/** The text between `<!-- section:exit -->` and `<!-- end:exit -->`, or undefined when results.md has none. */
export function exitSectionOf(results: string): string | undefined {
  return /<!-- section:exit -->\n([\s\S]*?)<!-- end:exit -->/.exec(results)?.[1];
}

/** One rendered table row back into a {@link BenchRow}; undefined for the header, the rule and anything else. */
function parseRow(line: string): BenchRow | undefined {
  if (!line.startsWith('| ') || !line.endsWith('|')) return undefined;
  const cells = line.slice(1, -1).split(' | ').map((cell) => cell.trim());
  if (cells.length !== 5 || cells[0] === 'measure') return undefined;
  const [name, value, baseline, ratio, goal] = cells as [string, string, string, string, string];
  const parsed = Number(ratio.replace(/,/g, ''));
  if (!Number.isFinite(parsed)) return undefined;
  return { name, value, baseline, ratio: parsed, goal };
}

/**
 * The rows and notes of `keep` (the half that did not run) in `section` (an exit section as
 * results.md holds it), and a note naming when they were measured — the section's date line, or
 * the one an earlier keep wrote. Nothing when the section has no rows of that half.
 */
export function keptHalf(section: string, keep: ExitHalf): KeptHalf {
  const paragraphs = section.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p.length > 0);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  let measured: string | undefined;
  let keptBefore: string | undefined;
  for (const paragraph of paragraphs) {
    if (paragraph.startsWith('## ')) continue;
    if (paragraph.startsWith('|')) {
      for (const line of paragraph.split('\n')) {
        const row = parseRow(line.trim());
        if (row !== undefined && GATHER_ROW.test(row.name) === (keep === 'gather')) rows.push(row);
      }
      continue;
    }
    const date = /^_(?:Measured|Exit rows measured) (\d{4}-\d{2}-\d{2})/.exec(paragraph);
    if (date) {
      const gatherDate = /gathering rows (\d{4}-\d{2}-\d{2})/.exec(paragraph);
      measured = keep === 'gather' && gatherDate ? gatherDate[1] : date[1];
      continue;
    }
    if (KEPT_NOTE.test(paragraph)) {
      if (paragraph.startsWith(keep === 'gather' ? 'Gathering' : 'Exit')) keptBefore = /measured (\d{4}-\d{2}-\d{2})/.exec(paragraph)?.[1];
      continue;
    }
    if (FRESH_NOTE.test(paragraph)) continue;
    if (GATHER_NOTE.test(paragraph) === (keep === 'gather')) notes.push(paragraph);
  }
  if (rows.length === 0) return { rows: [], notes: [] };
  const when = keptBefore ?? measured;
  notes.push(`${keep === 'gather' ? 'Gathering' : 'Exit'} rows: kept from an earlier run${when === undefined ? '' : ` (measured ${when})`} — this run measured only the ${keep === 'gather' ? 'throughput' : 'gathering'} half (HANDOFF_BENCH_EXIT_ONLY).`);
  return { rows, notes };
}
