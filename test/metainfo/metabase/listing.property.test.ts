/**
 * The listing against a naive model, over random key sets: for any data, any options and any
 * page size, the pages joined are exactly the unpaged listing, and that is exactly the model.
 * Runs on the memory store, SQLite (in memory) and PostgreSQL, which share the paging code but not the scan.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compareBytes, toHex } from '../../../src/core/bytes.js';
import { MemoryMetabaseStore } from '../../../src/metainfo/metabase/memory.js';
import type { ListObjects, MetabaseStore } from '../../../src/metainfo/metabase/port.js';
import { PostgresMetabaseStore } from '../../../src/metainfo/metabase/postgres.js';
import { SqliteMetabaseStore } from '../../../src/metainfo/metabase/sqlite.js';
import { createPool } from '../../../src/sql/postgres.js';
import { at, begin, buckets, commit, id16, projectA } from '../../../src/testing/metabase-store/fixtures.js';
import { describeWith } from '../../support/env.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../support/postgres.js';

interface KeyPlan {
  readonly key: Uint8Array;
  readonly committed: number;
  readonly pending: number;
}
interface Options {
  readonly prefix: Uint8Array;
  readonly recursive: boolean;
  readonly allVersions: boolean;
  readonly includePending: boolean;
  readonly limit: number;
}

/** Few distinct bytes, so keys share prefixes, separators and 0xff often. */
const keyByte = fc.constantFrom(0x00, 0x2f, 0x61, 0x62, 0xff);
const bytesArb = (minLength: number, maxLength: number) => fc.array(keyByte, { minLength, maxLength }).map((a) => new Uint8Array(a));
const dataArb: fc.Arbitrary<KeyPlan[]> = fc.uniqueArray(
  fc.record({ key: bytesArb(1, 4), committed: fc.integer({ min: 0, max: 3 }), pending: fc.integer({ min: 0, max: 2 }) }),
  { selector: (e) => toHex(e.key), maxLength: 12 },
);
const optionsArb: fc.Arbitrary<Options> = fc.record({
  prefix: bytesArb(0, 2),
  recursive: fc.boolean(),
  allVersions: fc.boolean(),
  includePending: fc.boolean(),
  limit: fc.integer({ min: 1, max: 6 }),
});

interface Stream { key: Uint8Array; version: number; streamId: Uint8Array }

async function load(store: MetabaseStore, data: readonly KeyPlan[]): Promise<Stream[]> {
  await buckets(store, ['photos']);
  const streams: Stream[] = [];
  let n = 0;
  // Stream ids whose byte order differs from creation order.
  const nextId = () => id16((++n * 37) % 256, n);
  for (const { key, committed, pending } of data) {
    for (let v = 1; v <= committed; v++) {
      const streamId = nextId();
      await store.beginObject(begin(at(key), streamId));
      await store.commitObject(commit(at(key), streamId));
      streams.push({ key, version: v, streamId });
    }
    for (let p = 0; p < pending; p++) {
      const streamId = nextId();
      await store.beginObject(begin(at(key), streamId));
      streams.push({ key, version: 0, streamId });
    }
  }
  return streams;
}

/** What the listing must return, computed the slow and obvious way. */
function model(streams: Stream[], o: Options): string[] {
  const latest = new Map<string, number>();
  for (const s of streams) latest.set(toHex(s.key), Math.max(latest.get(toHex(s.key)) ?? 0, s.version));
  const startsWith = (k: Uint8Array, p: Uint8Array) => k.length >= p.length && p.every((b, i) => k[i] === b);
  const visible = streams
    .filter((s) => startsWith(s.key, o.prefix))
    .filter((s) => (s.version === 0 ? o.includePending : o.allVersions || s.version === latest.get(toHex(s.key))))
    .sort((a, b) => compareBytes(a.key, b.key) || b.version - a.version || compareBytes(a.streamId, b.streamId));
  const out: string[] = [];
  for (const s of visible) {
    const slash = o.recursive ? -1 : s.key.indexOf(0x2f, o.prefix.length);
    const entry = slash < 0 ? `${toHex(s.key)}@${s.version}:${toHex(s.streamId)}` : `${toHex(s.key.slice(0, slash + 1))}/`;
    if (out[out.length - 1] !== entry) out.push(entry);
  }
  return out;
}

async function listAll(store: MetabaseStore, o: Options, limit: number): Promise<string[]> {
  const out: string[] = [];
  let cursor: ListObjects['cursor'];
  let cursorVersion: ListObjects['cursorVersion'];
  // Every page but the last is full, so more pages than this means the listing repeats itself.
  for (let pages = 0; pages < 200; pages++) {
    const page = await store.listObjects({ projectId: projectA, bucket: 'photos', ...o, limit, cursor, cursorVersion });
    for (const e of page.entries) {
      out.push(e.kind === 'prefix' ? `${toHex(e.key)}/` : `${toHex(e.object.objectKey)}@${e.object.version}:${toHex(e.object.streamId)}`);
    }
    if (page.more === undefined) return out;
    expect(page.entries).toHaveLength(limit);
    cursor = page.more;
    cursorVersion = page.moreVersion;
  }
  throw new Error('the listing never ended');
}

interface Target {
  readonly name: string;
  /** Why the store cannot run here (see describeWith), or undefined. */
  readonly unavailable?: string | undefined;
  /** Registers the suite's hooks and returns how to open an empty store. */
  readonly prepare: () => () => Promise<MetabaseStore>;
  readonly runs: number;
}

const targets: Target[] = [
  { name: 'memory', prepare: () => async () => new MemoryMetabaseStore(), runs: 150 },
  { name: 'SQLite', prepare: () => () => SqliteMetabaseStore.open({ path: ':memory:' }), runs: 40 },
  {
    // PostgreSQL picks the latest version with its own statement (sql/scan.ts), so it needs the model too.
    name: 'PostgreSQL',
    unavailable: postgresUnavailable,
    prepare: () => {
      let db: TestDatabase;
      let admin: ReturnType<typeof createPool>;
      beforeAll(async () => {
        db = await createTestDatabase();
        admin = createPool(db.url, 1);
        admin.on('error', () => {}); // the database is dropped WITH (FORCE) at the end
      });
      afterAll(async () => {
        await admin?.end();
        await db?.drop();
      });
      return async () => {
        const store = await PostgresMetabaseStore.open({ connectionString: db.url, maxConnections: 2 });
        await admin.query('TRUNCATE metabase_move_keys, metabase_move_operations, metabase_segments, metabase_objects, metabase_buckets');
        return store;
      };
    },
    runs: 25,
  },
];

for (const { name, unavailable, prepare, runs } of targets) {
  describeWith(name, unavailable, `listing (${name} store)`, () => {
    const open = prepare();
    it('pages through random key sets to exactly the model listing, at any page size', async () => {
      await fc.assert(
        fc.asyncProperty(dataArb, optionsArb, async (data, options) => {
          const store = await open();
          try {
            const streams = await load(store, data);
            const expected = model(streams, options);
            expect(await listAll(store, options, 1000)).toEqual(expected);
            expect(await listAll(store, options, options.limit)).toEqual(expected);
          } finally {
            await store.close();
          }
        }),
        { numRuns: runs },
      );
    }, 120_000);
  });
}
