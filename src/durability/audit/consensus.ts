/**
 * Which shares of one stripe are wrong, pure. Any `k` shares of a Reed–Solomon stripe decode to
 * a code word; the audit looks for the code word that most received shares agree with.
 *
 * The bound: with `m` shares received, `t = ⌊(m − k) / 2⌋`. Two distinct code words agree on at
 * most `k − 1` positions, so with `e ≤ t` wrong shares the true code word agrees with
 * `m − e ≥ m − t` shares and any other with at most `k − 1 + e < m − t`. The audit judges only a
 * code word that at least `m − t` shares agree with: then
 * - with `e ≤ t` wrong shares, a judgment names exactly the wrong ones (no honest node is ever
 *   blamed, no wrong share is missed);
 * - with more, a wrong code word can reach `m − t` only if at least `m − t − (k − 1) ≥ t + 1`
 *   wrong shares agree on it — a collusion of more than `t` nodes; shares corrupted independently
 *   never do, so the audit judges correctly or declines.
 * With `m ≤ k` nothing can be checked and the audit declines.
 *
 * Finding the true code word: every `k`-subset when there are at most `maxCandidates` of them
 * (exact), otherwise the first `k` then random subsets, up to `maxCandidates` (each all-honest
 * with probability `C(m − e, k) / C(m, k)`; failing to find one only declines, never blames).
 */
import type { ErasureCoder } from '../../uplink/erasure/index.js';
import { equalBytes } from '../../core/bytes.js';

export type StripeConsensus =
  | { readonly status: 'judged'; readonly agree: readonly number[]; readonly disagree: readonly number[] }
  | { readonly status: 'declined'; readonly reason: string };

export interface ConsensusOptions {
  /** Candidate decodings to try before declining (default 2048). */
  readonly maxCandidates?: number;
  /** A number in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
}

/** `t = ⌊(m − k) / 2⌋`: how many wrong shares among `m` a judgment always identifies. */
export function correctableShares(received: number, required: number): number {
  return received > required ? Math.floor((received - required) / 2) : 0;
}

/**
 * Judges one stripe's shares (piece number → one share, `shareSize` bytes each).
 *
 * @example
 * ```ts
 * const verdict = stripeConsensus(coder, shares);
 * if (verdict.status === 'judged') for (const number of verdict.disagree) fail(number);
 * ```
 */
export function stripeConsensus(coder: ErasureCoder, shares: ReadonlyMap<number, Uint8Array>, options: ConsensusOptions = {}): StripeConsensus {
  const { required: k } = coder.scheme;
  const numbers = [...shares.keys()].sort((a, b) => a - b);
  const m = numbers.length;
  if (m <= k) return { status: 'declined', reason: `${m} shares cannot be checked with ${k} required` };
  const needed = m - correctableShares(m, k);
  const maxCandidates = Math.max(1, options.maxCandidates ?? 2048);
  const random = options.random ?? Math.random;

  const tried = new Set<string>();
  const tryCandidate = (subset: readonly number[]): StripeConsensus | undefined => {
    const key = subset.join(',');
    if (tried.has(key)) return undefined;
    tried.add(key);
    const word = coder.encodeStripes(coder.decodeStripes(new Map(subset.map((n) => [n, shares.get(n)!]))));
    const agree: number[] = [];
    const disagree: number[] = [];
    for (const n of numbers) (equalBytes(word[n]!, shares.get(n)!) ? agree : disagree).push(n);
    return agree.length >= needed ? { status: 'judged', agree, disagree } : undefined;
  };

  if (binomialAtMost(m, k, maxCandidates)) {
    for (const subset of subsets(numbers, k)) {
      const found = tryCandidate(subset);
      if (found) return found;
    }
  } else {
    const found = tryCandidate(numbers.slice(0, k));
    if (found) return found;
    for (let i = 1; i < maxCandidates; i++) {
      const found = tryCandidate(randomSubset(numbers, k, random));
      if (found) return found;
    }
  }
  return { status: 'declined', reason: `no decoding agrees with ${needed} of ${m} shares` };
}

/** Whether C(n, k) ≤ cap, without overflowing. */
function binomialAtMost(n: number, k: number, cap: number): boolean {
  let c = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) {
    c = (c * (n - Math.min(k, n - k) + i)) / i;
    if (c > cap) return false;
  }
  return true;
}

/** Every k-subset of `items`, in lexicographic order. */
function* subsets(items: readonly number[], k: number): Generator<number[]> {
  const at = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield at.map((i) => items[i]!);
    let i = k - 1;
    while (i >= 0 && at[i] === items.length - k + i) i--;
    if (i < 0) return;
    at[i]!++;
    for (let j = i + 1; j < k; j++) at[j] = at[j - 1]! + 1;
  }
}

/** A uniform k-subset (partial Fisher–Yates), sorted. */
function randomSubset(items: readonly number[], k: number, random: () => number): number[] {
  const pool = [...items];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k).sort((a, b) => a - b);
}
