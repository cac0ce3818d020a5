/**
 * The stripe consensus, pure: with up to t = ⌊(m − k) / 2⌋ wrong shares the wrong ones are
 * exactly the ones named; with more (corrupted independently) no honest share is ever blamed —
 * the audit judges correctly or declines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correctableShares, stripeConsensus } from '../../../src/durability/audit/consensus.js';
import { Reservoir } from '../../../src/durability/audit/sample.js';
import { createErasureCoder } from '../../../src/uplink/erasure/index.js';

const schemes = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 })).map(([k, extra]) => createErasureCoder({ algorithm: 'reed-solomon', shareSize: 256, required: k, repair: k, success: k + extra, total: k + extra }));

/** A stripe's shares, some left out, some corrupted by a non-zero xor. */
const scenario = (bad: 'within' | 'beyond') =>
  schemes.chain((coder) => {
    const { required: k, total: n } = coder.scheme;
    return fc.record({
      stripe: fc.uint8Array({ minLength: k * 256, maxLength: k * 256 }),
      received: fc.subarray(Array.from({ length: n }, (_, i) => i), { minLength: Math.min(n, k + 1) }),
      seed: fc.integer(),
    }).chain(({ stripe, received, seed }) => {
      const t = correctableShares(received.length, k);
      const maxBad = bad === 'within' ? t : received.length;
      const minBad = bad === 'within' ? 0 : Math.min(received.length, t + 1);
      return fc.record({
        corrupt: fc.subarray(received, { minLength: minBad, maxLength: maxBad }),
        at: fc.integer({ min: 0, max: 255 }),
        xor: fc.integer({ min: 1, max: 255 }),
      }).map((c) => ({ coder, stripe, received, seed, ...c }));
    });
  });

function sharesOf(s: { coder: ReturnType<typeof createErasureCoder>; stripe: Uint8Array; received: number[]; corrupt: number[]; at: number; xor: number }, vary: (n: number) => number) {
  const word = s.coder.encodeStripes(s.stripe);
  return new Map(s.received.map((n) => {
    const share = word[n]!.slice();
    if (s.corrupt.includes(n)) share[(s.at + vary(n)) % 256]! ^= s.xor;
    return [n, share] as const;
  }));
}

const seeded = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);

describe('stripe consensus', () => {
  it('with up to ⌊(m − k) / 2⌋ wrong shares, exactly the wrong ones are named', () => {
    fc.assert(fc.property(scenario('within'), (s) => {
      const verdict = stripeConsensus(s.coder, sharesOf(s, (n) => n * 7), { random: seeded(s.seed) });
      expect(verdict.status).toBe('judged');
      if (verdict.status !== 'judged') return;
      expect([...verdict.disagree].sort()).toEqual([...s.corrupt].sort());
    }), { numRuns: 300 });
  });

  it('with more wrong shares (corrupted independently), no honest share is ever blamed', () => {
    fc.assert(fc.property(scenario('beyond'), (s) => {
      const verdict = stripeConsensus(s.coder, sharesOf(s, (n) => n * 13), { random: seeded(s.seed) });
      if (verdict.status === 'judged') for (const n of verdict.disagree) expect(s.corrupt).toContain(n);
    }), { numRuns: 300 });
  });

  it('a wrong share among the first k is still the one named', () => {
    const coder = createErasureCoder({ algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 5 });
    const word = coder.encodeStripes(new Uint8Array(512).map((_, i) => i * 31));
    const shares = new Map(word.map((share, n) => [n, share.slice()] as const));
    shares.get(0)![5]! ^= 1;
    expect(stripeConsensus(coder, shares)).toEqual({ status: 'judged', agree: [1, 2, 3, 4], disagree: [0] });
  });

  it('declines with k shares or fewer: nothing to compare', () => {
    const coder = createErasureCoder({ algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 5 });
    const word = coder.encodeStripes(new Uint8Array(512));
    expect(stripeConsensus(coder, new Map([[0, word[0]!], [3, word[3]!]])).status).toBe('declined');
  });

  it('a colluding majority beyond the bound is the documented limit: declined or judged, never thrown', () => {
    const coder = createErasureCoder({ algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 5 });
    const honest = coder.encodeStripes(new Uint8Array(512).fill(1));
    const forged = coder.encodeStripes(new Uint8Array(512).fill(2));
    const shares = new Map([[0, honest[0]!], [1, forged[1]!], [2, forged[2]!], [3, forged[3]!], [4, forged[4]!]]);
    const verdict = stripeConsensus(coder, shares);
    // Four colluding nodes (t = 1) outvote one honest node: no decoder can tell them apart.
    expect(verdict).toEqual({ status: 'judged', agree: [1, 2, 3, 4], disagree: [0] });
  });
});

describe('uniform sampling', () => {
  it('every item is kept with probability size / seen', () => {
    const hits = new Array<number>(20).fill(0);
    let seed = 7;
    const random = seeded(seed++);
    for (let round = 0; round < 4000; round++) {
      const reservoir = new Reservoir<number>(5, random);
      for (let i = 0; i < 20; i++) reservoir.add(i);
      for (const i of reservoir.items) hits[i]!++;
    }
    // Expected 4000 × 5/20 = 1000 each; allow a wide margin.
    for (const h of hits) expect(Math.abs(h - 1000)).toBeLessThan(150);
  });
});
