/**
 * Building garbage collection's filters: one bloom filter per node of the piece ids the
 * satellite must keep, from one iteration over every segment (never over object keys, so no
 * move can hide a piece: docs/move.md), then a sweep of the streams created since the iteration
 * began (copies made behind its cursor: their segment rows are new, their pieces shared).
 *
 * Sizing: a first, counting pass over the segments counts each node's pieces, and each filter
 * is sized from that count (plus slack for pieces added meanwhile). Memory is then the filters
 * themselves — about 4.8 bits per piece at a 10% false-positive rate, 18 MB for 1M segments of
 * 30 pieces — plus one page of segments and one counter per node.
 */
import { throwIfAborted } from '../../core/abort.js';
import type { Clock } from '../../core/clock.js';
import { toHex } from '../../core/bytes.js';
import type { MetabaseStore, StreamCreationCursor } from '../../metainfo/metabase/port.js';
import type { SegmentCursor, SegmentPosition, SegmentRecord } from '../../metainfo/metabase/types.js';
import { derivePieceId } from '../../orders/piece-id.js';
import { NodeTable } from '../repair/pieces.js';
import { BloomFilter, DEFAULT_MAX_BLOOM_FILTER_BYTES } from './bloom-filter.js';

/** What building filters asks of the metabase. */
export type GcMetabase = Pick<MetabaseStore, 'iterateSegments' | 'listSegments' | 'listStreamsCreatedSince' | 'oldestPendingCreatedAt'>;

export interface FilterConfig {
  /** The false-positive rate each filter is sized for (default 0.1: a tenth of the garbage waits for a later run). */
  readonly falsePositiveRate: number;
  /** Largest filter, in bytes of bits (default 4 MiB); a node with more pieces gets a capped filter with a higher rate. */
  readonly maxFilterBytes: number;
  /** Segments (and streams) read per metabase query (default 1000). */
  readonly pageSize: number;
  /**
   * The sweep covers streams created this long before the iteration began (default 1 h): a copy
   * whose `createdAt` was read from the clock just before the iteration began may commit just
   * after.
   */
  readonly sweepMarginMs: number;
}

export const DEFAULT_FILTER_CONFIG: FilterConfig = {
  falsePositiveRate: 0.1,
  maxFilterBytes: DEFAULT_MAX_BLOOM_FILTER_BYTES,
  pageSize: 1000,
  sweepMarginMs: 3600_000,
};

/** One node's filter. */
export interface NodeFilter {
  readonly nodeId: Uint8Array;
  readonly filter: BloomFilter;
  /** Pieces added (a piece shared by a copy is counted once per segment row). */
  pieces: number;
}

/** The bloom filters of one round, one per node. */
export interface RetainFilters {
  /** When the iteration began (satellite time). */
  readonly startedAt: number;
  /**
   * What the filters stand for: `startedAt`, or when the oldest upload still in progress then
   * began, if earlier — its pieces may already be on nodes while its segments are not yet
   * committed, so no node may collect a piece stored after it began.
   */
  readonly createdAt: number;
  /** Segments the iteration read. */
  readonly segments: number;
  /** Streams created since the iteration began (less the margin), and their segments, added after it. */
  readonly sweptStreams: number;
  readonly sweptSegments: number;
  /** By node id (hex). */
  readonly filters: Map<string, NodeFilter>;
}

export interface BuildFiltersOptions {
  readonly metabase: GcMetabase;
  readonly clock: Clock;
  readonly config?: Partial<FilterConfig>;
  /** Nodes that get a filter even when they hold no piece (every piece they have is garbage). */
  readonly nodeIds?: readonly Uint8Array[];
  readonly signal?: AbortSignal;
}

/**
 * @example
 * ```ts
 * const { createdAt, filters } = await buildRetainFilters({ metabase, clock: systemClock });
 * for (const { nodeId, filter } of filters.values()) await send(nodeId, { createdAt, filter: filter.encode() });
 * ```
 */
export async function buildRetainFilters(options: BuildFiltersOptions): Promise<RetainFilters> {
  const { metabase, clock, signal } = options;
  const config = { ...DEFAULT_FILTER_CONFIG, ...options.config };
  // Lookups by node id without a hex string: a run looks a node up for every piece of every segment, twice.
  const counts = new NodeTable<{ count: number }>();
  for await (const segment of allSegments(metabase, config.pageSize, signal)) {
    for (const piece of segment.pieces) {
      const counted = counts.get(piece.nodeId);
      if (counted === undefined) counts.set(piece.nodeId, { count: 1 });
      else counted.count++;
    }
  }

  const filters = new NodeTable<NodeFilter>();
  /** The filters in the order their nodes were first seen. */
  const made: NodeFilter[] = [];
  const filterOf = (nodeId: Uint8Array): NodeFilter => {
    let entry = filters.get(nodeId);
    if (entry === undefined) {
      const counted = counts.get(nodeId)?.count ?? 0;
      // Slack for pieces committed between the two passes and for the sweep.
      const expectedCount = counted + Math.ceil(counted / 10) + 64;
      entry = { nodeId: nodeId.slice(), filter: BloomFilter.create({ expectedCount, falsePositiveRate: config.falsePositiveRate, maxBytes: config.maxFilterBytes }), pieces: 0 };
      filters.set(nodeId, entry);
      made.push(entry);
    }
    return entry;
  };
  for (const nodeId of options.nodeIds ?? []) filterOf(nodeId);
  const add = (segment: SegmentRecord): void => {
    if (segment.rootPieceId.length !== 32) return; // inline: no pieces
    for (const piece of segment.pieces) {
      const entry = filterOf(piece.nodeId);
      entry.filter.add(derivePieceId(segment.rootPieceId, piece.nodeId, piece.number));
      entry.pieces++;
    }
  };

  // Read the clock before the oldest upload: an upload begun in between stores its pieces after startedAt.
  const startedAt = clock.now();
  const oldestPending = await metabase.oldestPendingCreatedAt();
  const createdAt = Math.min(startedAt, oldestPending ?? startedAt);
  let segments = 0;
  for await (const segment of allSegments(metabase, config.pageSize, signal)) {
    add(segment);
    segments++;
  }

  // A move keeps (streamId, position), so the iteration saw every moved segment. A copy is a
  // new stream: made behind the cursor while its source was deleted ahead of it, its pieces
  // would be in no filter. Every such copy was created after the iteration began.
  let sweptStreams = 0;
  let sweptSegments = 0;
  let cursor: StreamCreationCursor | undefined;
  for (;;) {
    throwIfAborted(signal);
    const streams = await metabase.listStreamsCreatedSince(Math.max(0, startedAt - config.sweepMarginMs), { cursor, limit: config.pageSize });
    for (const stream of streams) {
      sweptStreams++;
      let position: SegmentPosition | undefined;
      for (;;) {
        throwIfAborted(signal);
        const page = await metabase.listSegments(stream.streamId, { cursor: position, limit: config.pageSize });
        for (const segment of page) add(segment);
        sweptSegments += page.length;
        if (page.length < config.pageSize) break;
        position = page[page.length - 1]!.position;
      }
    }
    if (streams.length < config.pageSize) break;
    const last = streams[streams.length - 1]!;
    cursor = { createdAt: last.createdAt, streamId: last.streamId };
  }
  return { startedAt, createdAt, segments, sweptStreams, sweptSegments, filters: new Map(made.map((entry) => [toHex(entry.nodeId), entry])) };
}

async function* allSegments(metabase: GcMetabase, pageSize: number, signal: AbortSignal | undefined): AsyncIterable<SegmentRecord> {
  let cursor: SegmentCursor | undefined;
  for (;;) {
    throwIfAborted(signal);
    const page = await metabase.iterateSegments({ cursor, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    const last = page[page.length - 1]!;
    cursor = { streamId: last.streamId, position: last.position };
  }
}
