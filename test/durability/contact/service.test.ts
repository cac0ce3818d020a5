/**
 * The contact service's runner over a memory overlay, a manual clock and a scripted dialer: every
 * pass dials each node that is still in the network, in bounded concurrency, and a long absence
 * leads to suspension, then disqualification, while a node that answers again is let back in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { ManualClock } from '../../../src/core/clock.js';
import { UnavailableError } from '../../../src/core/errors.js';
import { Identity } from '../../../src/crypto/identity.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { ContactService, type ContactResult } from '../../../src/durability/contact/service.js';
import { MemoryOverlayStore } from '../../../src/overlay/store/memory.js';
import type { NodeRecord } from '../../../src/overlay/types.js';
import { memoryNetwork } from '../../../src/transport/memory.js';

const T0 = 1_700_000_000_000;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const WINDOW = 4 * HOUR;

const services: ContactService[] = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
});

/** A network of `n` registered nodes; `down` holds the ones whose dial fails. */
async function setup(n: number, config: ConstructorParameters<typeof ContactService>[0]['config'] = {}) {
  const clock = new ManualClock(T0);
  const store = new MemoryOverlayStore();
  const ids = Array.from({ length: n }, () => getCryptoProvider().randomBytes(32));
  for (const id of ids) await store.checkIn({ id, address: `node-${toHex(id).slice(0, 6)}:1`, wallet: 'w', freeBytes: 2 ** 40, version: '1', at: T0 });
  const down = new Set<string>();
  const dialed: string[] = [];
  let active = 0;
  let maxActive = 0;
  const gates: Array<() => void> = [];
  let gated = false;
  const service = new ContactService({
    store,
    transport: memoryNetwork().transport(),
    identity: Identity.generate(),
    clock,
    config,
    dial: async (node: NodeRecord, signal: AbortSignal) => {
      dialed.push(toHex(node.id));
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        if (gated) {
          await new Promise<void>((resolve, reject) => {
            gates.push(resolve);
            signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          });
        }
        // Let other contacts start, as a real dial would.
        await new Promise((resolve) => setImmediate(resolve));
        if (down.has(toHex(node.id))) throw new UnavailableError('connection refused');
      } finally {
        active--;
      }
    },
  });
  services.push(service);
  const selectable = async (): Promise<string[]> =>
    (await store.selectForUpload({ count: 100, minFreeBytes: 0, onlineWindowMs: WINDOW, now: clock.now() })).map((n) => toHex(n.id)).sort();
  return {
    clock,
    store,
    ids,
    down,
    dialed,
    service,
    selectable,
    maxActive: () => maxActive,
    gate: (on: boolean) => (gated = on),
    open: () => gates.splice(0).forEach((g) => g()),
    gates,
  };
}

describe('contact service', () => {
  it('dials every active and exiting node in a pass, page by page, never more at once than the concurrency', async () => {
    const t = await setup(9, { pageSize: 2, concurrency: 3 });
    await t.store.setStatus({ id: t.ids[0]!, from: 'active', to: 'exiting', at: T0 });
    await t.store.setStatus({ id: t.ids[1]!, from: 'active', to: 'disqualified', at: T0, reason: 'test' });
    await t.store.setStatus({ id: t.ids[2]!, from: 'active', to: 'exiting', at: T0 });
    await t.store.setStatus({ id: t.ids[2]!, from: 'exiting', to: 'exited', at: T0 });
    const pass = await t.service.runOnce();
    expect(pass).toEqual({ contacted: 7, failed: 0, effects: 0 });
    expect([...t.dialed].sort()).toEqual([t.ids[0]!, ...t.ids.slice(3)].map(toHex).sort());
    expect(t.maxActive()).toBe(3);
  });

  it('takes a node that stops answering out of selection at the next pass, and back when it answers again', async () => {
    const t = await setup(4);
    const [dead] = t.ids;
    t.down.add(toHex(dead!));
    t.clock.advance(60_000);
    expect(await t.service.runOnce()).toMatchObject({ contacted: 4, failed: 1 });
    expect(await t.selectable()).toEqual(t.ids.slice(1).map(toHex).sort());
    expect(await t.store.get(dead!)).toMatchObject({ offlineSince: T0 + 60_000, lastContactFailureAt: T0 + 60_000, lastContactAt: T0, suspendedAt: null });
    // Still offline: the absence keeps its start.
    t.clock.advance(5 * 60_000);
    await t.service.runOnce();
    expect(await t.store.get(dead!)).toMatchObject({ offlineSince: T0 + 60_000 });

    t.down.clear();
    t.clock.advance(5 * 60_000);
    await t.service.runOnce();
    expect(await t.selectable()).toEqual(t.ids.map(toHex).sort());
    expect(await t.store.get(dead!)).toMatchObject({ offlineSince: null, lastContactAt: T0 + 11 * 60_000 });
  });

  it('suspends a node absent for more than a day, disqualifies it after 30 days with the reason, and keeps an exiting node under the same rules', async () => {
    const t = await setup(3);
    const [gone, exiting] = t.ids;
    await t.store.setStatus({ id: exiting!, from: 'active', to: 'exiting', at: T0 });
    t.down.add(toHex(gone!));
    t.down.add(toHex(exiting!));
    await t.service.runOnce();
    t.clock.advance(DAY);
    await t.service.runOnce();
    expect(await t.store.get(gone!)).toMatchObject({ suspendedAt: null, status: 'active' });
    t.clock.advance(1);
    await t.service.runOnce();
    expect(await t.store.get(gone!)).toMatchObject({ suspendedAt: T0 + DAY + 1, suspendedReason: 'offline', status: 'active' });
    expect(await t.store.get(exiting!)).toMatchObject({ suspendedReason: 'offline', status: 'exiting' });

    t.clock.advance(29 * DAY - 1);
    await t.service.runOnce();
    expect(await t.store.get(gone!)).toMatchObject({ status: 'active' });
    const results: ContactResult[] = [];
    t.service.onContact((result) => results.push(result));
    t.clock.advance(1);
    await t.service.runOnce();
    const reason = `offline for more than 30 days (since ${new Date(T0).toISOString()})`;
    expect(await t.store.get(gone!)).toMatchObject({ status: 'disqualified', disqualifiedAt: T0 + 30 * DAY + 1, disqualifiedReason: reason });
    expect(await t.store.get(exiting!)).toMatchObject({ status: 'disqualified', disqualifiedReason: reason, exitStartedAt: T0 });
    expect(results.filter((r) => r.effects.some((e) => e.type === 'disqualify'))).toHaveLength(2);
    // A disqualified node is never dialed again.
    t.dialed.length = 0;
    await t.service.runOnce();
    expect(t.dialed).toEqual([toHex(t.ids[2]!)]);
  });

  it('lets a node suspended for being offline back in once it answers', async () => {
    const t = await setup(2);
    const [node] = t.ids;
    t.down.add(toHex(node!));
    await t.service.runOnce();
    t.clock.advance(2 * DAY);
    await t.service.runOnce();
    expect(await t.store.get(node!)).toMatchObject({ suspendedReason: 'offline' });
    t.down.clear();
    t.clock.advance(HOUR);
    await t.service.runOnce();
    expect(await t.store.get(node!)).toMatchObject({ suspendedAt: null, suspendedReason: null, offlineSince: null });
    expect(await t.selectable()).toContain(toHex(node!));
  });

  it('a reported node is contacted at once; reports are limited per project and per node, and never mark a node offline by themselves', async () => {
    const t = await setup(3, { maxReportsPerProject: 3, reportWindowMs: 60_000, recheckGapMs: 30_000 });
    const [a, b] = t.ids;
    const contacted: ContactResult[] = [];
    t.service.onContact((result) => contacted.push(result));
    expect(await t.service.report(a!, 'project-1')).toBe('scheduled');
    await t.service.whenIdle();
    // a answers: the report changed nothing.
    expect(contacted.map((r) => [toHex(r.nodeId), r.trigger, r.success])).toEqual([[toHex(a!), 'report', true]]);
    expect(await t.store.get(a!)).toMatchObject({ offlineSince: null, lastContactAt: T0 });

    t.down.add(toHex(b!));
    expect(await t.service.report(b!, 'project-1')).toBe('scheduled');
    expect(await t.service.report(b!, 'project-2')).toBe('recently-checked');
    await t.service.whenIdle();
    expect(await t.store.get(b!)).toMatchObject({ offlineSince: T0 });
    expect(await t.service.report(getCryptoProvider().randomBytes(32), 'project-1')).toBe('not-contacted');
    // project-1 has used its 3 reports this minute (the unknown node's too).
    expect(await t.service.report(t.ids[2]!, 'project-1')).toBe('rate-limited');
    expect(await t.service.report(t.ids[2]!, 'project-2')).toBe('scheduled');
    t.clock.advance(60_000);
    expect(await t.service.report(b!, 'project-1')).toBe('scheduled');
    await t.service.whenIdle();
    expect(contacted).toHaveLength(4);
  });

  it('one contact of a node at a time: a report joins the pass dialing it', async () => {
    const t = await setup(1);
    t.gate(true);
    const pass = t.service.runOnce();
    while (t.gates.length < 1) await new Promise((resolve) => setImmediate(resolve));
    const joined = t.service.contact(t.ids[0]!);
    t.open();
    await pass;
    expect(await joined).toMatchObject({ trigger: 'pass', success: true });
    expect(t.dialed).toHaveLength(1);
  });

  it('a pass asked for while one runs starts after it', async () => {
    const t = await setup(2);
    t.gate(true);
    const first = t.service.runOnce();
    const second = t.service.runOnce();
    while (t.gates.length < 2) await new Promise((resolve) => setImmediate(resolve));
    t.gate(false);
    t.open();
    await Promise.all([first, second]);
    expect(t.dialed).toHaveLength(4);
  });

  it('close ends contacts under way without recording them, and refuses reports after', async () => {
    const t = await setup(2);
    t.gate(true);
    const pass = t.service.runOnce();
    while (t.gates.length < 2) await new Promise((resolve) => setImmediate(resolve));
    await t.service.close();
    await pass;
    for (const id of t.ids) expect(await t.store.get(id)).toMatchObject({ lastContactAt: T0, lastContactFailureAt: null });
    expect(await t.service.onlineScore(t.ids[0]!)).toBe(1);
    expect(await t.service.report(t.ids[0]!, 'p')).toBe('not-contacted');
  });

  it('keeps an online score over its window', async () => {
    const t = await setup(1);
    await t.service.runOnce();
    t.down.add(toHex(t.ids[0]!));
    t.clock.advance(HOUR);
    await t.service.runOnce();
    expect(await t.service.onlineScore(t.ids[0]!)).toBe(0.5);
  });
});
