/**
 * The satellite's filters, over every metabase store: every piece of every segment is kept, and
 * no move or copy racing the iteration can hide one — including a copy made behind the cursor
 * whose source is deleted before the cursor reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareBytes, toHex } from '../../../src/core/bytes.js';
import { ManualClock } from '../../../src/core/clock.js';
import { buildRetainFilters, type GcMetabase, type RetainFilters } from '../../../src/durability/gc/filters.js';
import { BloomFilter } from '../../../src/durability/gc/bloom-filter.js';
import { MemoryMetabaseStore } from '../../../src/metainfo/metabase/memory.js';
import type { MetabaseStore } from '../../../src/metainfo/metabase/port.js';
import { PostgresMetabaseStore } from '../../../src/metainfo/metabase/postgres.js';
import { SqliteMetabaseStore } from '../../../src/metainfo/metabase/sqlite.js';
import type { ObjectRecord, SegmentRecord } from '../../../src/metainfo/metabase/types.js';
import { derivePieceId } from '../../../src/orders/piece-id.js';
import { at, begin, buckets, commit, id16, nodeId, segment, T0, upload } from '../../../src/testing/metabase-store/fixtures.js';
import { finishOf } from '../../../src/testing/metabase-store/move-fixtures.js';
import { createPool } from '../../../src/sql/postgres.js';
import { describeWith } from '../../support/env.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../support/postgres.js';

const two = [{ part: 0, index: 0 }, { part: 0, index: 1 }];

async function everySegment(store: MetabaseStore): Promise<SegmentRecord[]> {
  return store.iterateSegments({ limit: 100_000 });
}

/** Every piece of every segment now in the store is in its node's filter. */
async function expectEveryLivePieceKept(store: MetabaseStore, built: RetainFilters): Promise<number> {
  let checked = 0;
  for (const segment of await everySegment(store)) {
    for (const piece of segment.pieces) {
      const entry = built.filters.get(toHex(piece.nodeId));
      expect(entry, `a filter for node ${toHex(piece.nodeId).slice(0, 8)}`).toBeDefined();
      expect(entry!.filter.has(derivePieceId(segment.rootPieceId, piece.nodeId, piece.number))).toBe(true);
      checked++;
    }
  }
  return checked;
}

/** The store, seen through a hook that runs after each page of the full iteration. */
function hooked(store: MetabaseStore, afterPage: (page: SegmentRecord[]) => Promise<void>): GcMetabase & { seen: string[] } {
  const seen: string[] = [];
  let pass = 0;
  return {
    seen,
    iterateSegments: async (options) => {
      const page = await store.iterateSegments(options);
      if (options.cursor === undefined) pass++;
      // The first pass only counts; the second is the one that must see everything.
      if (pass === 2) {
        seen.push(...page.map((s) => toHex(s.streamId)));
        await afterPage(page);
      }
      return page;
    },
    listSegments: (streamId, options) => store.listSegments(streamId, options),
    listStreamsCreatedSince: (since, options) => store.listStreamsCreatedSince(since, options),
    oldestPendingCreatedAt: () => store.oldestPendingCreatedAt(),
  };
}

function scenarios(name: string, open: () => Promise<MetabaseStore>): void {
  describe(`garbage collection filters over ${name}`, () => {
    let store: MetabaseStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
    });

    it('keeps every piece of every segment, pending uploads included, and gives listed nodes without pieces an empty filter', async () => {
      await buckets(store, ['photos']);
      for (const tag of [0x10, 0x20, 0x30]) await upload(store, at(`k${tag}`), { streamId: id16(tag, 1), segments: two });
      const loc = at('draft');
      await store.beginObject(begin(loc, id16(0x40, 1)));
      await store.commitSegment(segment(loc, id16(0x40, 1), two[0]!));
      const idle = nodeId(200);
      // Past the sweep's margin: the sweep adds nothing, and each piece is counted once.
      const clock = new ManualClock(T0 + 2 * 3600_000);
      const built = await buildRetainFilters({ metabase: store, clock, nodeIds: [idle], config: { pageSize: 2 } });
      expect(built.segments).toBe(7);
      expect(await expectEveryLivePieceKept(store, built)).toBe(28);
      expect([...built.filters.values()].map((f) => f.pieces).sort()).toEqual([0, 7, 7, 7, 7]);
      const empty = built.filters.get(toHex(idle))!;
      expect(empty.filter.has(derivePieceId(new Uint8Array(32).fill(1), idle, 0))).toBe(false);
      // The pending upload began at T0, before the iteration: nothing stored since it began may go.
      expect(built.startedAt).toBe(T0 + 2 * 3600_000);
      expect(built.sweptSegments).toBe(0);
      expect(built.createdAt).toBe(T0);
      await store.deletePendingObject(loc, id16(0x40, 1));
      const later = await buildRetainFilters({ metabase: store, clock, config: { pageSize: 2 } });
      expect(later.createdAt).toBe(later.startedAt);
    });

    it('a copy made behind the cursor, whose source is then deleted ahead of it, keeps its pieces', async () => {
      await buckets(store, ['copies']);
      // Others in between, so the cursor stops between the copy's place and the source's.
      for (const n of [1, 2]) await upload(store, at(`other${n}`, 'copies'), { streamId: id16(0x21, n) });
      const source = await upload(store, at('source', 'copies'), { streamId: id16(0xf0, 1), segments: two });
      const copyStreamId = id16(0x01, 7);
      const clock = new ManualClock(T0 + 50_000);
      let done = false;
      const metabase = hooked(store, async (page) => {
        const cursor = page[page.length - 1];
        if (done || !cursor || compareBytes(cursor.streamId, id16(0x20, 0)) < 0) return;
        done = true;
        clock.advance(1000);
        // Behind the cursor: the copy; ahead of it: the source, deleted before it is reached.
        const copied = await store.finishMove({ ...(await finishOf(store, source, 'copy', { now: clock.now() })), mode: 'copy', copyStreamId });
        expect(copied.changed).toBe(true);
        const deleted = await store.deleteObject(at('source', 'copies'));
        expect(deleted?.segments).toEqual([]); // the copy still uses every piece: nothing is released
      });
      const built = await buildRetainFilters({ metabase, clock, config: { pageSize: 1 } });
      expect(done).toBe(true);
      // The iteration itself saw neither the source nor the copy ...
      expect(metabase.seen).not.toContain(toHex(source.streamId));
      expect(metabase.seen).not.toContain(toHex(copyStreamId));
      // ... yet every piece the copy uses is kept: the sweep of streams created since it began saw it.
      expect(await store.listSegments(copyStreamId, { limit: 10 })).toHaveLength(2);
      await expectEveryLivePieceKept(store, built);
      expect(built.sweptSegments).toBeGreaterThanOrEqual(2);
      for (const key of ['copy', 'other1', 'other2']) await store.deleteObject(at(key, 'copies'));
    });

    it('moves during the iteration hide nothing: segments keep (streamId, position)', async () => {
      await buckets(store, ['moves']);
      const objects: ObjectRecord[] = [];
      for (const tag of [0x11, 0x55, 0x99, 0xdd]) objects.push(await upload(store, at(`z${tag}`, 'moves'), { streamId: id16(tag, 2), segments: two }));
      const clock = new ManualClock(T0 + 90_000);
      let moves = 0;
      const metabase = hooked(store, async () => {
        // Move an object from the end of the key space to the start, and back, between pages.
        const object = objects[moves % objects.length]!;
        const current = (await store.getObject(at(moves % 2 === 0 ? `z${object.streamId[0]}` : `a${object.streamId[0]}`, 'moves'))) ?? object;
        const to = moves % 2 === 0 ? `a${object.streamId[0]}` : `z${object.streamId[0]}`;
        await store.finishMove({ ...(await finishOf(store, current, to, { now: clock.now() })), destination: { bucket: 'moves', objectKey: new TextEncoder().encode(to) } }).catch(() => undefined);
        moves++;
      });
      const built = await buildRetainFilters({ metabase, clock, config: { pageSize: 1 } });
      expect(moves).toBeGreaterThan(4);
      await expectEveryLivePieceKept(store, built);
    });

    it('stops when asked and returns nothing', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(buildRetainFilters({ metabase: store, clock: new ManualClock(T0), signal: controller.signal })).rejects.toMatchObject({ name: 'CanceledError' });
    });
  });
}

scenarios('memory', async () => new MemoryMetabaseStore());
scenarios('SQLite', () => SqliteMetabaseStore.open({ path: ':memory:' }));

describeWith('PostgreSQL', postgresUnavailable, 'garbage collection filters over PostgreSQL', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => {
    await db?.drop();
  });
  scenarios('PostgreSQL', async () => {
    db = await createTestDatabase();
    const admin = createPool(db.url, 1);
    await admin.end();
    return PostgresMetabaseStore.open({ connectionString: db.url, maxConnections: 4 });
  });
});

describe('garbage collection memory', () => {
  it('sizes filters for 1M segments of 30 pieces far under 512 MiB', () => {
    // 30M pieces spread over 100 nodes (300k each) or crowded onto 30 (1M each): ~18 MB either way.
    for (const nodes of [30, 100, 1000]) {
      const perNode = Math.ceil(30_000_000 / nodes);
      const expectedCount = perNode + Math.ceil(perNode / 10) + 64;
      const { byteLength } = BloomFilter.parameters({ expectedCount, falsePositiveRate: 0.1 });
      expect(byteLength * nodes).toBeLessThan(24 * 1024 * 1024);
    }
  });
});
