/**
 * Reputation: the beta-score math on its own (property-tested), and what audit outcomes do to a
 * node in the overlay — disqualification below the audit threshold, suspension and its lifting
 * around the unknown-error threshold, offline audits as failed contacts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getCryptoProvider } from '../../src/crypto/select.js';
import {
  applyAuditOutcome,
  auditScore,
  AUDIT_DISQUALIFICATION_REASON,
  DEFAULT_REPUTATION_CONFIG,
  INITIAL_REPUTATION,
  nextReputation,
  reputationConfig,
  reputationScore,
  reputationVerdict,
  UNKNOWN_SUSPENSION_REASON,
  unknownScore,
  type BetaReputation,
} from '../../src/durability/reputation.js';
import { MemoryOverlayStore } from '../../src/overlay/store/memory.js';

const T0 = 1_700_000_000_000;
const lambda = fc.double({ min: 0.5, max: 1, noNaN: true }).filter((l) => l > 0);
const weight = fc.double({ min: 0.01, max: 100, noNaN: true });
const outcomes = fc.array(fc.boolean(), { maxLength: 300 });

function replay(history: readonly boolean[], config: { lambda: number; weight: number }): BetaReputation {
  return history.reduce((rep, success) => nextReputation(rep, success, config), INITIAL_REPUTATION);
}

describe('reputation math', () => {
  it('moves alpha on success and beta on failure, forgetting the past by lambda', () => {
    const config = { lambda: 0.95, weight: 1 };
    expect(nextReputation(INITIAL_REPUTATION, true, config)).toEqual({ alpha: 0.95 + 1, beta: 0 });
    expect(nextReputation(INITIAL_REPUTATION, false, config)).toEqual({ alpha: 0.95, beta: 1 });
    expect(reputationScore(INITIAL_REPUTATION)).toBe(1);
    expect(reputationScore({ alpha: 0.95, beta: 1 })).toBeCloseTo(0.95 / 1.95, 12);
    expect(reputationScore({ alpha: 0, beta: 0 })).toBe(1);
  });

  it('keeps every score in [0, 1] whatever the history', () => {
    fc.assert(
      fc.property(lambda, weight, outcomes, (l, w, history) => {
        const score = reputationScore(replay(history, { lambda: l, weight: w }));
        return score >= 0 && score <= 1;
      }),
    );
  });

  it('never lowers the score for a success, never raises it for a failure', () => {
    fc.assert(
      fc.property(lambda, weight, outcomes, fc.boolean(), (l, w, history, success) => {
        const config = { lambda: l, weight: w };
        const before = reputationScore(replay(history, config));
        const after = reputationScore(nextReputation(replay(history, config), success, config));
        const eps = 1e-12;
        return success ? after >= before - eps : after <= before + eps;
      }),
    );
  });

  it('is monotone in successes: turning any failure of a history into a success never lowers the final score', () => {
    fc.assert(
      fc.property(lambda, weight, outcomes.filter((h) => h.includes(false)), fc.nat(), (l, w, history, pick) => {
        const config = { lambda: l, weight: w };
        const failures = history.flatMap((ok, i) => (ok ? [] : [i]));
        const flipped = [...history];
        flipped[failures[pick % failures.length]!] = true;
        return reputationScore(replay(flipped, config)) >= reputationScore(replay(history, config)) - 1e-12;
      }),
    );
  });

  it('with the defaults a long clean record survives a rare failure, a new node does not, and λ = 0.95 would forgive nothing', () => {
    const long = replay(Array.from({ length: 5000 }, () => true), DEFAULT_REPUTATION_CONFIG);
    expect(reputationScore(nextReputation(long, false, DEFAULT_REPUTATION_CONFIG))).toBeGreaterThan(DEFAULT_REPUTATION_CONFIG.disqualificationThreshold);
    const young = replay([true, true], DEFAULT_REPUTATION_CONFIG);
    expect(reputationScore(nextReputation(young, false, DEFAULT_REPUTATION_CONFIG))).toBeLessThan(DEFAULT_REPUTATION_CONFIG.disqualificationThreshold);
    // Alpha tends to w / (1 − λ): 20 at λ = 0.95, where one failure disqualifies anyone.
    const strict = { ...DEFAULT_REPUTATION_CONFIG, lambda: 0.95 };
    const clean = replay(Array.from({ length: 1000 }, () => true), strict);
    expect(clean.alpha).toBeCloseTo(20, 6);
    expect(reputationScore(nextReputation(clean, false, strict))).toBeLessThan(strict.disqualificationThreshold);
  });

  it('checks its configuration, naming the field', () => {
    expect(reputationConfig()).toEqual(DEFAULT_REPUTATION_CONFIG);
    expect(DEFAULT_REPUTATION_CONFIG).toEqual({ lambda: 0.999, weight: 1, disqualificationThreshold: 0.96, unknownSuspensionThreshold: 0.6 });
    for (const bad of [{ lambda: 0 }, { lambda: 1.01 }, { weight: -1 }, { weight: Infinity }, { disqualificationThreshold: 2 }, { unknownSuspensionThreshold: Number.NaN }]) {
      expect(() => reputationConfig(bad)).toThrow(/expected/);
    }
  });
});

describe('audit outcomes', () => {
  const config = reputationConfig({ lambda: 0.999 });

  async function setup() {
    const overlay = new MemoryOverlayStore();
    const id = getCryptoProvider().randomBytes(32);
    await overlay.checkIn({ id, address: 'node:1', wallet: 'w', freeBytes: 1e9, version: '1', at: T0 });
    return { overlay, id };
  }

  it('successes raise the audit score and count, and leave the node active', async () => {
    const { overlay, id } = await setup();
    let node = await applyAuditOutcome(overlay, id, 'success', config, T0 + 1);
    node = await applyAuditOutcome(overlay, id, 'success', config, T0 + 2);
    expect(node).toMatchObject({ status: 'active', auditSuccessCount: 2, auditTotalCount: 2, lastAuditAt: T0 + 2, auditBeta: 0 });
    expect(auditScore(node!)).toBe(1);
  });

  it('a failure that takes the audit score below the threshold disqualifies, with the reason', async () => {
    const { overlay, id } = await setup();
    for (let i = 0; i < 10; i++) await applyAuditOutcome(overlay, id, 'success', config, T0 + i);
    const node = await applyAuditOutcome(overlay, id, 'failure', config, T0 + 20);
    expect(auditScore(node!)).toBeLessThan(config.disqualificationThreshold);
    expect(node).toMatchObject({ status: 'disqualified', disqualifiedAt: T0 + 20, disqualifiedReason: AUDIT_DISQUALIFICATION_REASON, auditTotalCount: 11, auditSuccessCount: 10 });
  });

  it('disqualifies an exiting node too (it is still audited while it exits)', async () => {
    const { overlay, id } = await setup();
    await overlay.setStatus({ id, from: 'active', to: 'exiting', at: T0 + 1 });
    expect(await applyAuditOutcome(overlay, id, 'failure', config, T0 + 2)).toMatchObject({ status: 'disqualified', exitStartedAt: T0 + 1 });
  });

  it('unknown errors move only the unknown score: suspended below its threshold, unsuspended once back above it', async () => {
    const { overlay, id } = await setup();
    const tolerant = reputationConfig({ lambda: 0.9 });
    // From a fresh node, one unknown error: 0.9 / 1.9 < 0.6.
    let node = await applyAuditOutcome(overlay, id, 'unknown', tolerant, T0 + 1);
    expect(unknownScore(node!)).toBeLessThan(0.6);
    expect(node).toMatchObject({ status: 'active', suspendedAt: T0 + 1, suspendedReason: UNKNOWN_SUSPENSION_REASON, auditAlpha: 1, auditBeta: 0 });
    expect(await overlay.selectForUpload({ count: 1, minFreeBytes: 0, onlineWindowMs: 3600_000, now: T0 + 1 })).toEqual([]);
    node = await applyAuditOutcome(overlay, id, 'unknown', tolerant, T0 + 2);
    expect(node).toMatchObject({ suspendedAt: T0 + 1 });
    while (unknownScore(node!) < 0.6) node = await applyAuditOutcome(overlay, id, 'success', tolerant, T0 + 3);
    expect(node).toMatchObject({ suspendedAt: null, suspendedReason: null, status: 'active' });
  });

  it('an unknown score back above the threshold leaves a suspension for another reason alone', async () => {
    const { overlay, id } = await setup();
    await overlay.setSuspended(id, { at: T0, reason: 'offline' });
    expect(await applyAuditOutcome(overlay, id, 'unknown', config, T0 + 1)).toMatchObject({ suspendedReason: 'offline' });
    expect(await applyAuditOutcome(overlay, id, 'success', config, T0 + 2)).toMatchObject({ suspendedReason: 'offline' });
  });

  it('an offline audit is a failed contact and moves no score', async () => {
    const { overlay, id } = await setup();
    const node = await applyAuditOutcome(overlay, id, 'offline', config, T0 + 5);
    expect(node).toMatchObject({ offlineSince: T0 + 5, lastContactFailureAt: T0 + 5, auditTotalCount: 0, auditAlpha: 1, unknownAlpha: 1, status: 'active' });
  });

  it('an unknown node is undefined; an exited node keeps its status whatever its scores', async () => {
    const { overlay, id } = await setup();
    expect(await applyAuditOutcome(overlay, getCryptoProvider().randomBytes(32), 'failure', config, T0)).toBeUndefined();
    await overlay.setStatus({ id, from: 'active', to: 'exiting', at: T0 });
    await overlay.setStatus({ id, from: 'exiting', to: 'exited', at: T0 });
    expect(await applyAuditOutcome(overlay, id, 'failure', config, T0 + 1)).toMatchObject({ status: 'exited' });
    expect(reputationVerdict((await overlay.get(id))!, config)).toEqual({ type: 'none' });
  });

  it('judges the fresh record when the status moved under the disqualification', async () => {
    const { overlay, id } = await setup();
    // The first compare-and-swap loses to an exit starting in between.
    const racing = Object.create(overlay) as MemoryOverlayStore;
    let raced = false;
    racing.setStatus = async (change) => {
      if (!raced) {
        raced = true;
        await overlay.setStatus({ id, from: 'active', to: 'exiting', at: T0 + 1 });
      }
      return overlay.setStatus(change);
    };
    racing.updateReputation = (nodeId, update) => overlay.updateReputation(nodeId, update);
    racing.get = (nodeId) => overlay.get(nodeId);
    expect(await applyAuditOutcome(racing, id, 'failure', config, T0 + 2)).toMatchObject({ status: 'disqualified', exitStartedAt: T0 + 1 });
  });
});
