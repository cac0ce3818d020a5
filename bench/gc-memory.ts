/**
 * `npx tsx bench/gc-memory.ts [segments] [nodes]`: builds garbage collection's filters for a
 * synthetic metabase of `segments` segments (default 1,000,000) of 30 pieces each over `nodes`
 * nodes (default 40), generated on the fly so only the collector's own memory shows, and prints
 * the time, the filters' total size and the peak RSS. Not a test: a measurement for
 * docs/durability.md (the goal: well under 512 MiB).
 */
import { systemClock } from '../src/core/clock.js';
import { buildRetainFilters, type GcMetabase } from '../src/durability/gc/filters.js';
import type { SegmentRecord } from '../src/metainfo/metabase/types.js';

const segments = Number(process.argv[2] ?? 1_000_000);
const nodeCount = Number(process.argv[3] ?? 40);
const PIECES = 30;
const nodes = Array.from({ length: nodeCount }, (_, i) => new Uint8Array(32).fill(i + 1));
const redundancy = { algorithm: 'reed-solomon', shareSize: 256, required: 10, repair: 15, success: 25, total: PIECES } as const;

function segmentAt(index: number): SegmentRecord {
  const streamId = new Uint8Array(16);
  new DataView(streamId.buffer).setUint32(12, index);
  const rootPieceId = new Uint8Array(32);
  new DataView(rootPieceId.buffer).setUint32(0, index);
  rootPieceId[31] = 0x5a;
  return {
    streamId, position: { part: 0, index: 0 }, createdAt: 0, expiresAt: undefined, rootPieceId,
    encryptedKey: new Uint8Array(48), encryptedKeyNonce: new Uint8Array(24), encryptedSize: 64 << 20, plainSize: 64 << 20, plainOffset: 0,
    redundancy, pieces: Array.from({ length: PIECES }, (_, number) => ({ number, nodeId: nodes[(index + number) % nodeCount]! })), inlineData: undefined,
  };
}

const metabase: GcMetabase = {
  async iterateSegments({ cursor, limit }) {
    const from = cursor === undefined ? 0 : new DataView(cursor.streamId.buffer, cursor.streamId.byteOffset).getUint32(12) + 1;
    return Array.from({ length: Math.max(0, Math.min(limit, segments - from)) }, (_, i) => segmentAt(from + i));
  },
  async listSegments() {
    return [];
  },
  async listStreamsCreatedSince() {
    return [];
  },
  async oldestPendingCreatedAt() {
    return undefined;
  },
};

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const started = performance.now();
const built = await buildRetainFilters({ metabase, clock: systemClock });
const seconds = (performance.now() - started) / 1000;
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(sampler);
const bytes = [...built.filters.values()].reduce((sum, f) => sum + f.filter.encodedLength, 0);
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
console.log(`${segments} segments × ${PIECES} pieces over ${nodeCount} nodes: ${seconds.toFixed(1)} s (${Math.round((segments * PIECES) / seconds)} pieces/s), filters ${mib(bytes)}, peak RSS ${mib(peak)}`);
