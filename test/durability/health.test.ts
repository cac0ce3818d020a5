/** The one rule of a healthy piece holder: active, not suspended, not offline, heard from within the window. */
import { describe, expect, it } from 'vitest';
import { isHealthy } from '../../src/durability/health.js';
import { NEW_NODE_STATE, type NodeRecord } from '../../src/overlay/types.js';

const NOW = 1_700_000_000_000;
const WINDOW = 4 * 3600_000;

function node(changes: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id: new Uint8Array(32),
    address: 'n:1',
    wallet: 'w',
    freeBytes: 1,
    version: '1',
    joinedAt: NOW - WINDOW,
    lastContactAt: NOW - 1,
    status: 'active',
    exitStartedAt: null,
    exitFinishedAt: null,
    disqualifiedAt: null,
    disqualifiedReason: null,
    ...NEW_NODE_STATE,
    ...changes,
  };
}

describe('isHealthy', () => {
  it('counts an active node heard from within the window, up to its edge', () => {
    expect(isHealthy(node(), NOW, WINDOW)).toBe(true);
    expect(isHealthy(node({ lastContactAt: NOW - WINDOW }), NOW, WINDOW)).toBe(true);
    expect(isHealthy(node({ lastContactAt: NOW - WINDOW - 1 }), NOW, WINDOW)).toBe(false);
  });

  it('never counts a node that is offline, suspended, exiting, exited or disqualified', () => {
    expect(isHealthy(node({ offlineSince: NOW - 10, lastContactFailureAt: NOW - 10 }), NOW, WINDOW)).toBe(false);
    expect(isHealthy(node({ suspendedAt: NOW - 10, suspendedReason: 'offline' }), NOW, WINDOW)).toBe(false);
    for (const status of ['exiting', 'exited', 'disqualified'] as const) expect(isHealthy(node({ status }), NOW, WINDOW)).toBe(false);
  });

  it('a failed contact in the past that a success has since cleared leaves the node healthy', () => {
    expect(isHealthy(node({ lastContactFailureAt: NOW - 100, offlineSince: null }), NOW, WINDOW)).toBe(true);
  });
});
