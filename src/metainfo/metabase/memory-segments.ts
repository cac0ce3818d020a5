/**
 * The memory store's segment table: segments by stream in position order, plus the stream ids in
 * byte order — together the (streamId, position) index the SQL stores keep as a primary key —
 * and how many segments reference each root piece id (copies share pieces), the index the SQL
 * stores keep on `root_piece_id`.
 */
import { compareBytes, equalBytes, toHex } from '../../core/bytes.js';
import { comparePositions } from './position.js';
import { cloneSegment, compareSegments } from './records.js';
import { insertSorted, lowerBound, removeSorted } from './sorted.js';
import type { SegmentCursor, SegmentPosition, SegmentRecord, StreamId } from './types.js';

const byPosition = (a: SegmentRecord, b: SegmentRecord): number => comparePositions(a.position, b.position);

export class MemorySegmentTable {
  /** streamId (hex) → its segments by position. */
  readonly #byStream = new Map<string, SegmentRecord[]>();
  /** Stream ids that have segments, in byte order. */
  readonly #streams: StreamId[] = [];
  /** Root piece id (hex) → the segments referencing it (stream hex, position); inline segments are not listed. */
  readonly #references = new Map<string, Map<string, { readonly streamId: StreamId; readonly position: SegmentPosition }>>();

  /** The stored segments of a stream, in position order (the live array: callers may update entries). */
  ofStream(streamId: StreamId): SegmentRecord[] {
    return this.#byStream.get(toHex(streamId)) ?? [];
  }

  /** Index of the segment at `position` in {@link ofStream}, or -1. */
  indexOf(streamId: StreamId, position: SegmentPosition): number {
    const list = this.ofStream(streamId);
    const at = lowerBound(list, (s) => comparePositions(s.position, position) < 0);
    return at < list.length && comparePositions(list[at]!.position, position) === 0 ? at : -1;
  }

  insert(segment: SegmentRecord): void {
    const key = toHex(segment.streamId);
    let list = this.#byStream.get(key);
    if (!list) {
      this.#byStream.set(key, (list = []));
      insertSorted(this.#streams, segment.streamId, compareBytes);
    }
    insertSorted(list, segment, byPosition);
    if (segment.rootPieceId.length > 0) {
      const root = toHex(segment.rootPieceId);
      let refs = this.#references.get(root);
      if (!refs) this.#references.set(root, (refs = new Map()));
      refs.set(segmentKey(segment.streamId, segment.position), { streamId: segment.streamId, position: segment.position });
    }
  }

  /** Copies of the segments whose root piece id is `rootPieceId` (a segment and its copies), in (streamId, position) order. */
  byRootPieceId(rootPieceId: Uint8Array): SegmentRecord[] {
    const refs = this.#references.get(toHex(rootPieceId));
    if (!refs) return [];
    const out: SegmentRecord[] = [];
    for (const { streamId, position } of refs.values()) {
      const at = this.indexOf(streamId, position);
      if (at >= 0) out.push(cloneSegment(this.ofStream(streamId)[at]!));
    }
    return out.sort(compareSegments);
  }

  /**
   * Removes every segment of these streams; returns those whose pieces are released — inline
   * ones, and remote ones no remaining segment shares a root piece id with (copies, by stream
   * and position).
   */
  removeStreams(streamIds: readonly StreamId[]): SegmentRecord[] {
    const removed: SegmentRecord[] = [];
    for (const streamId of streamIds) {
      const key = toHex(streamId);
      const list = this.#byStream.get(key);
      if (!list) continue;
      this.#byStream.delete(key);
      removeSorted(this.#streams, streamId, compareBytes);
      for (const segment of list) {
        removed.push(segment);
        if (segment.rootPieceId.length === 0) continue;
        const root = toHex(segment.rootPieceId);
        const refs = this.#references.get(root)!;
        refs.delete(segmentKey(segment.streamId, segment.position));
        if (refs.size === 0) this.#references.delete(root);
      }
    }
    return removed.filter((s) => s.rootPieceId.length === 0 || !this.#references.has(toHex(s.rootPieceId))).map((s) => cloneSegment(s));
  }

  /** Copies of a stream's segments after `cursor`, at most `limit`. */
  list(streamId: StreamId, cursor: SegmentPosition | undefined, limit: number): SegmentRecord[] {
    const list = this.ofStream(streamId);
    const from = cursor === undefined ? 0 : lowerBound(list, (s) => comparePositions(s.position, cursor) <= 0);
    return list.slice(from, from + limit).map((s) => cloneSegment(s));
  }

  /** Copies of every segment after `cursor` in (streamId, position) order, at most `limit`. */
  iterate(cursor: SegmentCursor | undefined, limit: number): SegmentRecord[] {
    const out: SegmentRecord[] = [];
    let at = cursor === undefined ? 0 : lowerBound(this.#streams, (id) => compareBytes(id, cursor.streamId) < 0);
    for (; at < this.#streams.length && out.length < limit; at++) {
      const id = this.#streams[at]!;
      const position = cursor !== undefined && equalBytes(id, cursor.streamId) ? cursor.position : undefined;
      out.push(...this.list(id, position, limit - out.length));
    }
    return out;
  }
}

function segmentKey(streamId: StreamId, position: SegmentPosition): string {
  return `${toHex(streamId)}:${position.part}:${position.index}`;
}
