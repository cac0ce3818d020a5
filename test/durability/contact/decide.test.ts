/** The contact service's pure decisions and its report limiter. */
import { describe, expect, it } from 'vitest';
import { contactConfig, DEFAULT_CONTACT_CONFIG } from '../../../src/durability/contact/config.js';
import { afterContact, duration, OFFLINE_SUSPENSION_REASON, shouldContact } from '../../../src/durability/contact/decide.js';
import { WindowLimiter } from '../../../src/durability/contact/rate-limit.js';
import { NEW_NODE_STATE, type NodeRecord } from '../../../src/overlay/types.js';

const NOW = 1_700_000_000_000;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const config = contactConfig();

function node(changes: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id: new Uint8Array(32),
    address: 'n:1',
    wallet: 'w',
    freeBytes: 1,
    version: '1',
    joinedAt: NOW - 90 * DAY,
    lastContactAt: NOW - DAY,
    status: 'active',
    exitStartedAt: null,
    exitFinishedAt: null,
    disqualifiedAt: null,
    disqualifiedReason: null,
    ...NEW_NODE_STATE,
    ...changes,
  };
}

describe('contact decisions', () => {
  it('dials active and exiting nodes, never exited or disqualified ones', () => {
    expect(['active', 'exiting', 'exited', 'disqualified'].map((status) => shouldContact({ status } as NodeRecord))).toEqual([true, true, false, false]);
  });

  it('leaves an online node, or one offline for no longer than the suspension delay, as it is', () => {
    expect(afterContact(node(), NOW, config)).toEqual([]);
    expect(afterContact(node({ offlineSince: NOW - DAY }), NOW, config)).toEqual([]);
  });

  it('suspends a node offline for more than a day, once', () => {
    expect(afterContact(node({ offlineSince: NOW - DAY - 1 }), NOW, config)).toEqual([{ type: 'suspend', reason: OFFLINE_SUSPENSION_REASON }]);
    expect(afterContact(node({ offlineSince: NOW - 2 * DAY, suspendedAt: NOW - HOUR, suspendedReason: 'offline' }), NOW, config)).toEqual([]);
  });

  it('disqualifies a node offline for more than 30 days, saying since when — an exiting one too', () => {
    const since = NOW - 30 * DAY - 1;
    const reason = `offline for more than 30 days (since ${new Date(since).toISOString()})`;
    expect(afterContact(node({ offlineSince: since, suspendedAt: since + DAY, suspendedReason: 'offline' }), NOW, config)).toEqual([{ type: 'disqualify', from: 'active', reason }]);
    expect(afterContact(node({ offlineSince: since, status: 'exiting' }), NOW, config)).toEqual([{ type: 'disqualify', from: 'exiting', reason }]);
    expect(afterContact(node({ offlineSince: since, status: 'disqualified' }), NOW, config)).toEqual([]);
  });

  it('lifts a suspension for being offline once the node answers, and no other', () => {
    expect(afterContact(node({ suspendedAt: NOW - HOUR, suspendedReason: 'offline' }), NOW, config)).toEqual([{ type: 'unsuspend' }]);
    expect(afterContact(node({ suspendedAt: NOW - HOUR, suspendedReason: 'unknown audit score below threshold' }), NOW, config)).toEqual([]);
  });

  it('names durations in their largest whole unit', () => {
    expect([duration(30 * DAY), duration(DAY), duration(24 * HOUR + 60_000), duration(5 * 60_000), duration(1500)]).toEqual(['30 days', '1 day', '1441 min', '5 min', '1500 ms']);
  });

  it('has the documented defaults, and refuses nonsense naming the field', () => {
    expect(DEFAULT_CONTACT_CONFIG).toMatchObject({ intervalMs: 300_000, suspendAfterMs: DAY, disqualifyAfterMs: 30 * DAY, concurrency: 10 });
    expect(() => contactConfig({ intervalMs: 0 })).toThrow(/contact.intervalMs/);
    expect(() => contactConfig({ concurrency: 1.5 })).toThrow(/contact.concurrency/);
    expect(() => contactConfig({ suspendAfterMs: 2 * DAY, disqualifyAfterMs: DAY })).toThrow(/disqualifyAfterMs/);
  });
});

describe('report limiter', () => {
  it('allows limit events per key per window, then again in the next window', () => {
    const limiter = new WindowLimiter({ limit: 2, windowMs: 1000, maxKeys: 10 });
    expect([limiter.take('a', 0), limiter.take('a', 10), limiter.take('a', 20), limiter.take('b', 20)]).toEqual([true, true, false, true]);
    expect(limiter.take('a', 1000)).toBe(true);
  });

  it('tracks at most maxKeys: sweeps ended windows, refuses new keys while full', () => {
    const limiter = new WindowLimiter({ limit: 1, windowMs: 1000, maxKeys: 2 });
    expect([limiter.take('a', 0), limiter.take('b', 0), limiter.take('c', 10)]).toEqual([true, true, false]);
    expect(limiter.take('c', 1000)).toBe(true);
    expect(limiter.size).toBe(1);
  });
});
