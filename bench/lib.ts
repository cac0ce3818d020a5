/**
 * A tiny benchmark harness: each benchmark measures a subject and its baseline in the same
 * process and reports the ratio. Benchmarks are never assertions; they write rows to
 * bench/results.md through bench/run.ts.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import * as statements from '../src/metainfo/metabase/sql/statements.js';

export interface BenchRow {
  /** What is measured, e.g. "unary RPC over TCP". */
  readonly name: string;
  /** The subject's figure, e.g. "48,210 calls/s". */
  readonly value: string;
  /** The baseline and its figure, e.g. "raw TCP ping-pong 91,000/s". */
  readonly baseline: string;
  /** subject / baseline (higher is better). */
  readonly ratio: number;
  /** The goal the issue names, e.g. "≥ 0.5"; empty when there is none. */
  readonly goal: string;
}

export interface BenchSection {
  readonly title: string;
  readonly rows: BenchRow[];
  readonly notes?: string[];
}

/**
 * Runs `fn` repeatedly for about `ms` milliseconds (after a short warm-up) and returns operations
 * per second. `fn` returns how many operations it performed (default 1).
 */
export async function opsPerSecond(fn: () => unknown, ms = 1000): Promise<number> {
  const warmUntil = performance.now() + Math.min(200, ms / 4);
  while (performance.now() < warmUntil) await fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    const n = await fn();
    ops += typeof n === 'number' ? n : 1;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

/** The PostgreSQL server's version at `url` (e.g. "16.4"), for a section's notes. */
export async function serverVersion(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version.split(' ')[0];
  } finally {
    await client.end();
  }
}

/**
 * A bare scan of every segment, the baseline of a metabase pass: the metabase's own iterate
 * statements, `batchSize` rows at a time on `pool`, rows as pg returns them and nothing else.
 */
export async function scanSegments(pool: pg.Pool, batchSize: number): Promise<{ ms: number; rows: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let rows = 0;
  let last: { stream_id: unknown; position: unknown } | undefined;
  for (;;) {
    const statement = last === undefined ? statements.iterateSegments : statements.iterateSegmentsAfter;
    const values = last === undefined ? [batchSize] : [last.stream_id, last.position, batchSize];
    const result = await pool.query({ name: statement.name, text: statement.text, values });
    rows += result.rows.length;
    last = result.rows.at(-1) as typeof last;
    if (result.rows.length < batchSize) break;
  }
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, rows, cpuMs: (used.user + used.system) / 1000 };
}
