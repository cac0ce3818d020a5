/**
 * The checker over a real metabase and overlay (memory stores): it queues exactly the segments
 * at their repair threshold, the same whether it reads the stream ids in one range or many, and
 * a later complete pass removes what recovered.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { ManualClock } from '../../../src/core/clock.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { RepairChecker } from '../../../src/durability/repair/checker-runner.js';
import { MemoryRepairQueueStore } from '../../../src/durability/repair/store/memory.js';
import { MemoryMetabaseStore } from '../../../src/metainfo/metabase/memory.js';
import type { MetabaseStore } from '../../../src/metainfo/metabase/port.js';
import { SqliteMetabaseStore } from '../../../src/metainfo/metabase/sqlite.js';
import type { RedundancyScheme } from '../../../src/metainfo/metabase/types.js';
import { MemoryOverlayStore } from '../../../src/overlay/store/memory.js';

const RS: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 4, total: 5 };
const WINDOW = 4 * 3_600_000;
const T0 = 1_700_000_000_000;
const bytes = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);

async function world(segments: number, kind: 'memory' | 'sqlite' = 'memory') {
  const clock = new ManualClock(T0);
  const metabase: MetabaseStore = kind === 'memory' ? new MemoryMetabaseStore() : await SqliteMetabaseStore.open({ path: ':memory:' });
  const overlay = new MemoryOverlayStore();
  const nodes = Array.from({ length: 8 }, () => bytes(32));
  for (const id of nodes) await overlay.checkIn({ id, address: 'n:1', wallet: '0x', freeBytes: 1e12, version: '1', at: T0 });
  const projectId = bytes(16);
  await metabase.createBucket({ projectId, name: 'b', createdAt: T0 });
  const expected = new Map<string, number>();
  for (let i = 0; i < segments; i++) {
    const streamId = bytes(16);
    const location = { projectId, bucket: 'b', objectKey: bytes(8) };
    await metabase.beginObject({ ...location, streamId, createdAt: T0, uploadDeadline: T0 + 1e6, redundancy: RS, encryption: { cipherSuite: 'none', blockSize: 1024 } });
    // Segment i holds 5 pieces on nodes i..i+4; nodes 0 and 1 go offline below.
    const holders = [0, 1, 2, 3, 4].map((j) => (i + j) % nodes.length);
    await metabase.commitSegment({
      ...location, streamId, position: { part: 0, index: 0 }, createdAt: T0, rootPieceId: bytes(32), encryptedKey: bytes(48), encryptedKeyNonce: bytes(24),
      encryptedSize: 1000, plainSize: 900, redundancy: RS, pieces: holders.map((n, number) => ({ number, nodeId: nodes[n]! })),
    });
    await metabase.commitObject({ ...location, streamId, committedAt: T0, now: T0, maxSegments: 10 });
    const healthy = holders.filter((n) => n > 1).length;
    if (healthy <= RS.repair) expected.set(toHex(streamId), healthy);
  }
  // Nodes 0 and 1 are never heard from again; the rest check in.
  clock.advance(WINDOW + 1);
  for (const id of nodes.slice(2)) await overlay.checkIn({ id, address: 'n:1', wallet: '0x', freeBytes: 1e12, version: '1', at: clock.now() });
  return { clock, metabase, overlay, nodes, expected };
}

describe('the checker runner', () => {
  it.each(['memory', 'sqlite'] as const)('queues exactly the segments at their repair threshold, in one range or many (%s metabase)', async (kind) => {
    const w = await world(60, kind);
    expect(w.expected.size).toBeGreaterThan(0);
    for (const ranges of [1, 3, 7]) {
      const queue = new MemoryRepairQueueStore();
      const checker = new RepairChecker({ metabase: w.metabase, overlay: w.overlay, queue, clock: w.clock, onlineWindowMs: WINDOW, batchSize: 4, ranges });
      const stats = await checker.checkOnce();
      expect(stats).toEqual({ segments: 60, remote: 60, queued: w.expected.size, irreparable: 0, cleaned: 0 });
      const got = new Map<string, number>();
      for (let item = await queue.next(w.clock.now(), 1000); item; item = await queue.next(w.clock.now(), 1000)) got.set(toHex(item.streamId), item.healthy);
      expect(got).toEqual(w.expected);
    }
    await w.metabase.close();
  });

  it('a later complete pass removes the items of segments that recovered', async () => {
    const w = await world(20);
    const queue = new MemoryRepairQueueStore();
    const checker = new RepairChecker({ metabase: w.metabase, overlay: w.overlay, queue, clock: w.clock, onlineWindowMs: WINDOW, batchSize: 5, ranges: 2 });
    await checker.checkOnce();
    expect(await queue.count()).toBe(w.expected.size);
    // Node 0 comes back: segments that only missed it recover.
    w.clock.advance(1000);
    await w.overlay.checkIn({ id: w.nodes[0]!, address: 'n:1', wallet: '0x', freeBytes: 1e12, version: '1', at: w.clock.now() });
    const stats = await checker.checkOnce();
    expect(stats.cleaned).toBeGreaterThan(0);
    expect(await queue.count()).toBe(stats.queued);
    expect(stats.queued).toBeLessThan(w.expected.size);
  });
});
