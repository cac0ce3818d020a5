/**
 * A tiny benchmark harness: each benchmark measures a subject and its baseline in the same
 * process and reports the ratio. Benchmarks are never assertions; they write rows to
 * bench/results.md through bench/run.ts.
 */
import { performance } from 'node:perf_hooks';

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
