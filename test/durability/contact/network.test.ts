/**
 * Contact and uptime over a whole network, in memory and over TCP: nodes that stop for good
 * leave selection at the next contact pass (5 minutes on the satellite's clock) and uploads go
 * on; a node that answers again is back; a long absence suspends, then disqualifies, with the
 * reason recorded; an uplink that cannot dial a node reports it, and the satellite checks the
 * node itself — reports are authenticated and rate-limited, and never judge a node alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../../src/core/bytes.js';
import { ManualClock } from '../../../src/core/clock.js';
import { ReportDialFailure } from '../../../src/durability/contact/methods.js';
import type { ContactResult } from '../../../src/durability/contact/service.js';
import type { RedundancyScheme } from '../../../src/metainfo/metabase/types.js';
import { StorageNode } from '../../../src/node/storage-node.js';
import { createTestNetwork, TEST_SEGMENT_SIZE, type TestNetwork } from '../../../src/testing/network.js';
import { RpcClient } from '../../../src/rpc/client.js';
import { tcpTransport } from '../../../src/transport/tcp.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Six pieces, all needed: after two of eight nodes stop, only a selection of the six live ones works. */
const SIX_OF_EIGHT: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 6, total: 6 };
/** Every one of eight nodes gets a piece; seven receipts are enough. */
const ALL_EIGHT: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 7, total: 8 };

let network: TestNetwork | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await network?.close();
  network = undefined;
});

function data(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
}

/** Ids (hex, sorted) of the nodes the satellite would pick for an upload now. */
async function selectable(n: TestNetwork, clock: ManualClock): Promise<string[]> {
  const picked = await n.satellite.store.overlay.selectForUpload({ count: 100, minFreeBytes: 0, onlineWindowMs: n.satellite.metainfo.config.onlineWindowMs, now: clock.now() });
  return picked.map((node) => toHex(node.id)).sort();
}

const hexOf = (nodes: readonly StorageNode[]): string[] => nodes.map((node) => toHex(node.id.bytes)).sort();

/** Runs the contact chore by moving the satellite's clock past its interval, and waits for the pass to end. */
async function nextContactPass(n: TestNetwork, clock: ManualClock, ms = 5 * MINUTE): Promise<void> {
  clock.advance(ms);
  await n.satellite.contact.whenIdle();
  // The chore re-arms its timer a few promise callbacks after the pass ends: let them run.
  await new Promise((resolve) => setImmediate(resolve));
}

/** Resolves with the first contact of `nodeId` that `match` accepts. */
function contactOf(n: TestNetwork, nodeId: Uint8Array, match: (r: ContactResult) => boolean = () => true): Promise<ContactResult> {
  return new Promise((resolve) => {
    const stop = n.satellite.contact.onContact((result) => {
      if (!equalBytes(result.nodeId, nodeId) || !match(result)) return;
      stop();
      resolve(result);
    });
  });
}

describe.each(['memory', 'tcp'] as const)('contact and uptime over %s', (transport) => {
  // Over TCP, with the satellite's SQLite stores and nodes' piece files, as a host runs it.
  const storage = transport === 'tcp' ? 'sqlite' : 'memory';

  it('two of eight nodes stop for good: within one contact interval they leave selection, and uploads succeed', async () => {
    const clock = new ManualClock(Date.now());
    network = await createTestNetwork({ nodes: 8, transport, storage, clock, redundancy: SIX_OF_EIGHT });
    const n = network;
    const uplink = await n.uplink();
    await uplink.createBucket('bkt');
    const dead = n.nodes.slice(0, 2);
    const live = n.nodes.slice(2);
    for (const node of dead) await node.close();
    // Until the satellite checks, the dead nodes are still offered: an upload would fail with "only 4 of 6 nodes…".
    expect(await selectable(n, clock)).toEqual(hexOf(n.nodes));

    await nextContactPass(n, clock);
    expect(await selectable(n, clock)).toEqual(hexOf(live));
    for (const node of dead) expect(await n.satellite.store.overlay.get(node.id.bytes)).toMatchObject({ status: 'active', offlineSince: clock.now(), suspendedAt: null });

    for (let i = 0; i < 4; i++) {
      const bytes = data(2 * TEST_SEGMENT_SIZE + 1000 * i, i);
      await uplink.upload('bkt', `k${i}`, bytes);
      expect(equalBytes(await uplink.download('bkt', `k${i}`), bytes)).toBe(true);
    }
  });

  it('a node that answers again returns to selection at the next pass', async () => {
    const clock = new ManualClock(Date.now());
    network = await createTestNetwork({ nodes: 6, transport, storage, clock });
    const n = network;
    const node = n.nodes[3]!;
    const id = node.id.bytes;
    let restart: () => Promise<unknown>;
    if (transport === 'memory') {
      for (const host of ['satellite', 'uplink-0']) n.net!.faults.partition(host, 'node-3');
      restart = async () => n.net!.faults.heal();
    } else {
      const address = node.address;
      await node.close();
      restart = async () => {
        // The same node (identity, pieces, database) back on the same address.
        const again = await StorageNode.start({
          transport: tcpTransport(),
          address,
          identity: node.identity,
          satellites: [{ id: n.satellite.id, address: n.satellite.address }],
          storage: node.storage,
          db: node.db,
          wallet: '0x3',
          capacity: 2 ** 40,
          clock,
        });
        cleanups.push(() => again.close());
      };
    }
    await nextContactPass(n, clock);
    expect(await selectable(n, clock)).not.toContain(toHex(id));
    const offlineSince = clock.now();

    // It stays out while it does not answer.
    await nextContactPass(n, clock);
    expect(await n.satellite.store.overlay.get(id)).toMatchObject({ offlineSince });

    await restart();
    await nextContactPass(n, clock);
    expect(await n.satellite.store.overlay.get(id)).toMatchObject({ offlineSince: null, lastContactAt: clock.now() });
    expect(await selectable(n, clock)).toContain(toHex(id));
  });

  it('a long absence suspends the node after a day, then disqualifies it after 30 days with the reason; downloads never use it meanwhile', async () => {
    const clock = new ManualClock(Date.now());
    network = await createTestNetwork({ nodes: 6, transport, storage, clock });
    const n = network;
    const uplink = await n.uplink();
    await uplink.createBucket('bkt');
    const bytes = data(TEST_SEGMENT_SIZE + 10, 7);
    await uplink.upload('bkt', 'k', bytes);
    const gone = n.nodes[0]!;
    const id = gone.id.bytes;
    await gone.close();

    await nextContactPass(n, clock);
    const offlineSince = clock.now();
    expect(await n.satellite.store.overlay.get(id)).toMatchObject({ offlineSince, suspendedAt: null });
    expect(equalBytes(await uplink.download('bkt', 'k'), bytes)).toBe(true);

    await nextContactPass(n, clock, DAY + 1);
    expect(await n.satellite.store.overlay.get(id)).toMatchObject({ status: 'active', suspendedAt: clock.now(), suspendedReason: 'offline' });

    await nextContactPass(n, clock, 29 * DAY);
    expect(await n.satellite.store.overlay.get(id)).toMatchObject({
      status: 'disqualified',
      disqualifiedAt: clock.now(),
      disqualifiedReason: `offline for more than 30 days (since ${new Date(offlineSince).toISOString()})`,
    });
    expect(equalBytes(await uplink.download('bkt', 'k'), bytes)).toBe(true);
  });

  it('an uplink that cannot dial a node reports it, and the satellite checks that node at once', async () => {
    const clock = new ManualClock(Date.now());
    network = await createTestNetwork({ nodes: 8, transport, storage, clock, redundancy: ALL_EIGHT });
    const n = network;
    const uplink = await n.uplink();
    await uplink.createBucket('bkt');
    const victim = n.nodes[5]!;
    await victim.close();
    const checked = contactOf(n, victim.id.bytes);
    // Every node gets a piece, so the upload dials the dead one; seven receipts are enough.
    const bytes = data(TEST_SEGMENT_SIZE / 2, 9);
    await uplink.upload('bkt', 'k', bytes);
    const result = await checked;
    expect(result).toMatchObject({ trigger: 'report', success: false });
    expect(await n.satellite.store.overlay.get(victim.id.bytes)).toMatchObject({ offlineSince: clock.now() });
    // Without waiting for the scheduled pass, the next upload is offered only the seven that answer.
    expect(await selectable(n, clock)).toEqual(hexOf(n.nodes.filter((node) => node !== victim)));
    expect(equalBytes(await uplink.download('bkt', 'k'), bytes)).toBe(true);
  });
});

describe('dial-failure reports', () => {
  async function reporting(config: Record<string, number> = {}) {
    const clock = new ManualClock(Date.now());
    network = await createTestNetwork({ nodes: 4, clock, satellite: { contact: config } });
    const n = network;
    const client = new RpcClient({ transport: n.net!.transport({ host: 'reporter' }), address: n.satellite.address, expectedPeer: n.satellite.id });
    cleanups.push(() => client.close());
    const apiKey = await n.apiKey();
    const contacts: ContactResult[] = [];
    n.satellite.contact.onContact((result) => contacts.push(result));
    const report = (nodeId: Uint8Array, key = apiKey) => client.call(ReportDialFailure, { header: { apiKey: key }, nodeId });
    return { n, clock, client, report, contacts, apiKey };
  }

  it('a report about a node that answers changes nothing about it: only the satellite’s own dial judges', async () => {
    const { n, report, contacts } = await reporting();
    const node = n.nodes[1]!;
    const before = await n.satellite.store.overlay.get(node.id.bytes);
    expect(await report(node.id.bytes)).toEqual({ scheduled: true });
    await n.satellite.contact.whenIdle();
    expect(contacts.map((c) => [c.trigger, c.success])).toEqual([['report', true]]);
    expect(await n.satellite.store.overlay.get(node.id.bytes)).toMatchObject({ offlineSince: null, lastContactAt: before!.lastContactAt });
  });

  it('a forged or unauthenticated report is refused and dials nothing', async () => {
    const { n, report, contacts, apiKey } = await reporting();
    const forged = apiKey.slice(0, -4) + (apiKey.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await expect(report(n.nodes[0]!.id.bytes, forged)).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await expect(report(n.nodes[0]!.id.bytes, 'hk1_not-a-key')).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await expect(report(new Uint8Array(31))).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await n.satellite.contact.whenIdle();
    expect(contacts).toEqual([]);
  });

  it('re-checks a reported node at most once per gap, and limits each project’s reports', async () => {
    const { n, clock, report, contacts } = await reporting({ maxReportsPerProject: 3, recheckGapMs: MINUTE, reportWindowMs: MINUTE });
    const [a, b] = n.nodes.map((node) => node.id.bytes);
    expect(await report(a!)).toEqual({ scheduled: true });
    expect(await report(a!)).toEqual({ scheduled: false });
    expect(await report(b!)).toEqual({ scheduled: true });
    await expect(report(b!)).rejects.toMatchObject({ name: 'ResourceExhaustedError' });
    await n.satellite.contact.whenIdle();
    expect(contacts).toHaveLength(2);
    clock.advance(MINUTE);
    await n.satellite.contact.whenIdle(); // the scheduled pass, if it fell due
    contacts.length = 0;
    expect(await report(a!)).toEqual({ scheduled: true });
    await n.satellite.contact.whenIdle();
    expect(contacts.map((c) => c.trigger)).toEqual(['report']);
  });
});
