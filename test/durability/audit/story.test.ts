/**
 * Audits, the whole story over memory and over TCP with SQLite stores: a node that corrupts its
 * pieces is audited, fails, is disqualified with the reason recorded, and its pieces are
 * repaired so every object still downloads byte-identical; a node that is only slow is
 * contained, not disqualified, and passes when re-verified; an offline node is recorded
 * offline, not failed; a node that lost its pieces fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes } from '../../../src/core/bytes.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { NodeAuditResult } from '../../../src/durability/audit/types.js';
import { AUDIT_DISQUALIFICATION_REASON } from '../../../src/durability/reputation.js';
import type { RedundancyScheme } from '../../../src/metainfo/metabase/types.js';
import type { StorageNode } from '../../../src/node/storage-node.js';
import { createTestNetwork, TEST_SEGMENT_SIZE, type TestNetwork } from '../../../src/testing/network.js';
import { patterned } from '../../uplink/support/bytes.js';
import { FaultyPieceStore } from '../../uplink/support/faulty-store.js';
import { allSegments, expectListedPiecesStored, MANUAL_REPAIR } from '../repair/support.js';

/** 2 needed, repaired as soon as one piece is unhealthy (4 of 5), back to 5. */
const RS: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 4, success: 5, total: 5 };
/** The chore never fires: each test runs rounds itself. */
const MANUAL_AUDIT = { intervalMs: 1000 * 3_600_000, segmentsPerRun: 1000, timeoutMs: 400 };

const OBJECTS = [
  { key: 'one', data: patterned(TEST_SEGMENT_SIZE - 100, 1) },
  { key: 'several', data: patterned(2 * TEST_SEGMENT_SIZE + 777, 2) },
  ...Array.from({ length: 4 }, (_, i) => ({ key: `many/${i}`, data: patterned(TEST_SEGMENT_SIZE / 2 + i * 1000, 10 + i) })),
];

let network: TestNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

interface Setup {
  network: TestNetwork;
  stores: FaultyPieceStore[];
  results: (NodeAuditResult & { streamId: Uint8Array })[];
  /** The node holding the most pieces, and its store. */
  target: { node: StorageNode; store: FaultyPieceStore; pieces: number };
}

async function setUp(transport: 'memory' | 'tcp', storage: 'memory' | 'sqlite'): Promise<Setup> {
  const clock = new ManualClock(Date.now());
  const stores: FaultyPieceStore[] = [];
  network = await createTestNetwork({
    nodes: 7, transport, storage, clock, redundancy: RS, repair: MANUAL_REPAIR, audit: MANUAL_AUDIT,
    wrapStorage: (inner, index) => (stores[index] = new FaultyPieceStore(inner)),
  });
  const uplink = await network.uplink();
  await uplink.createBucket('audited');
  for (const { key, data } of OBJECTS) await uplink.upload('audited', key, data);
  const segments = (await allSegments(network)).filter((s) => s.pieces.length > 0);
  const held = (node: StorageNode) => segments.reduce((n, s) => n + s.pieces.filter((p) => equalBytes(p.nodeId, node.identity.publicKey)).length, 0);
  const index = network.nodes.reduce((best, node, i) => (held(node) > held(network!.nodes[best]!) ? i : best), 0);
  const node = network.nodes[index]!;
  return { network, stores, results: [], target: { node, store: stores[index]!, pieces: held(node) } };
}

const of = (results: readonly NodeAuditResult[], node: StorageNode) => results.filter((r) => equalBytes(r.nodeId, node.identity.publicKey));

for (const [transport, storage] of [['memory', 'memory'], ['tcp', 'sqlite']] as const) {
  describe(`audits over ${transport} with ${storage} stores`, () => {
    it('a node that corrupts its pieces is audited, fails, is disqualified with the reason, and its pieces are repaired: every object downloads intact', async () => {
      const { network, target } = await setUp(transport, storage);
      const satellite = network.satellite;
      const seen: NodeAuditResult[] = [];
      const stats0 = await satellite.audit.runOnce();
      expect(stats0.failure).toBe(0);
      expect(stats0.audited).toBeGreaterThan(0);

      target.store.corrupt = true;
      for (const s of await allSegments(network)) {
        if (s.pieces.length === 0) continue;
        const report = await satellite.audit.auditSegment(s.streamId, s.position);
        seen.push(...report.results);
        // Only the corrupt node is ever blamed.
        for (const r of report.results) if (r.verdict === 'failure') expect(equalBytes(r.nodeId, target.node.identity.publicKey)).toBe(true);
      }
      expect(of(seen, target.node).some((r) => r.verdict === 'failure')).toBe(true);
      const record = await satellite.store.overlay.get(target.node.identity.publicKey);
      expect(record?.status).toBe('disqualified');
      expect(record?.disqualifiedReason).toBe(AUDIT_DISQUALIFICATION_REASON);
      for (const other of network.nodes.filter((n) => n !== target.node)) expect((await satellite.store.overlay.get(other.identity.publicKey))?.status).toBe('active');

      const checked = await satellite.repair.checkOnce();
      expect(checked.queued).toBe(target.pieces);
      const run = await satellite.repair.repairOnce();
      expect(run.repaired).toBe(target.pieces);
      for (const s of await allSegments(network)) {
        if (s.pieces.length === 0) continue;
        expect(s.pieces.some((p) => equalBytes(p.nodeId, target.node.identity.publicKey))).toBe(false);
        expect(s.pieces).toHaveLength(RS.success);
      }
      const uplink = await network.uplink();
      for (const { key, data } of OBJECTS) expect(Buffer.from(await uplink.download('audited', key)).equals(data)).toBe(true);
      await expectListedPiecesStored(network, network.nodes.filter((n) => n !== target.node));
    });

    it('a node that is only slow is contained, not disqualified, and passes when re-verified once it answers', async () => {
      const { network, target } = await setUp(transport, storage);
      const satellite = network.satellite;
      target.store.stall();
      const first = await satellite.audit.runOnce();
      expect(first.contained).toBe(target.pieces);
      expect(first.failure).toBe(0);
      expect(await satellite.store.containment.count()).toBe(target.pieces);
      const pending = await satellite.store.containment.listForNode(target.node.identity.publicKey);
      expect(pending).toHaveLength(target.pieces);
      expect((await satellite.store.overlay.get(target.node.identity.publicKey))?.status).toBe('active');

      target.store.resume();
      const second = await satellite.audit.runOnce();
      expect(second.reverified).toBe(target.pieces);
      expect(second.failure).toBe(0);
      expect(await satellite.store.containment.count()).toBe(0);
      const record = await satellite.store.overlay.get(target.node.identity.publicKey);
      expect(record?.status).toBe('active');
      expect(record?.disqualifiedReason ?? null).toBeNull();
    });

    it('an offline node is recorded offline, not failed', async () => {
      const { network, target } = await setUp(transport, storage);
      await target.node.close();
      const stats = await network.satellite.audit.runOnce();
      expect(stats.offline).toBe(target.pieces);
      expect(stats.failure).toBe(0);
      expect(stats.contained).toBe(0);
      const record = await network.satellite.store.overlay.get(target.node.identity.publicKey);
      expect(record?.status).toBe('active');
      expect(record?.auditBeta).toBe(0);
    });

    it('a node that deleted its pieces fails and is disqualified', async () => {
      const { network, target } = await setUp(transport, storage);
      const satelliteId = network.satellite.identity.publicKey;
      const ids: Uint8Array[] = [];
      for await (const entry of target.store.list(satelliteId)) ids.push(entry.pieceId);
      for (const id of ids) await target.store.delete(satelliteId, id);
      const stats = await network.satellite.audit.runOnce();
      expect(stats.failure).toBeGreaterThan(0);
      const record = await network.satellite.store.overlay.get(target.node.identity.publicKey);
      expect(record?.status).toBe('disqualified');
      expect(record?.disqualifiedReason).toBe(AUDIT_DISQUALIFICATION_REASON);
    });
  });
}

describe('containment over memory', () => {
  it('a contained node that keeps timing out its reverifications fails after maxReverifyCount in a row', async () => {
    const { network, target } = await setUp('memory', 'memory');
    const satellite = network.satellite;
    target.store.stall();
    expect((await satellite.audit.runOnce()).contained).toBe(target.pieces);
    for (let round = 1; round < satellite.audit.config.maxReverifyCount; round++) {
      await satellite.audit.runOnce();
      expect((await satellite.store.overlay.get(target.node.identity.publicKey))?.status).toBe('active');
    }
    const last = await satellite.audit.runOnce();
    expect(last.failure).toBeGreaterThan(0);
    expect((await satellite.store.overlay.get(target.node.identity.publicKey))?.status).toBe('disqualified');
    target.store.resume();
  });
});
