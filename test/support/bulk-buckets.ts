/**
 * A bucket loaded with {@link bulkObjectStatements} in a real metabase, then opened with the
 * database's own driver for the test's queries and plans: the store creates the schema and the
 * bucket, the bulk statements fill it.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { utf8 } from '../../src/core/bytes.js';
import type { ProjectId } from '../../src/metainfo/metabase/types.js';
import { PostgresMetabaseStore } from '../../src/metainfo/metabase/postgres.js';
import { SqliteMetabaseStore } from '../../src/metainfo/metabase/sqlite.js';
import { bulkObjectStatements, type BulkObjects } from './bulk-objects.js';

/** Where the objects go. */
export interface BulkLocation {
  readonly projectId: ProjectId;
  readonly bucket: string;
}

/** The store's `$n` placeholders as better-sqlite3 named parameters `@pn`. */
export function namedParameters(text: string): string {
  return text.replace(/\$(\d+)/g, '@p$1');
}

/** A SQLite metabase at `path` holding the bucket and `spec`'s objects, open in better-sqlite3. */
export async function loadedSqliteBucket(path: string, location: BulkLocation, spec: BulkObjects): Promise<Database.Database> {
  const store = await SqliteMetabaseStore.open({ path });
  await store.createBucket({ ...location, name: location.bucket, createdAt: 0 });
  await store.close();
  const db = new Database(path);
  for (const text of bulkObjectStatements('sqlite', spec)) {
    db.prepare(namedParameters(text)).run({ p1: location.projectId, p2: utf8(location.bucket) });
  }
  return db;
}

/**
 * The PostgreSQL database at `url` holding the bucket and `spec`'s objects, and a client
 * connected to it. `beforeLoad` runs on that client between creating the schema and loading.
 */
export async function loadedPostgresBucket(
  url: string,
  location: BulkLocation,
  spec: BulkObjects,
  beforeLoad?: (client: pg.Client) => Promise<unknown>,
): Promise<pg.Client> {
  const store = await PostgresMetabaseStore.open({ connectionString: url, maxConnections: 1 });
  await store.createBucket({ ...location, name: location.bucket, createdAt: 0 });
  await store.close();
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // scratch databases are dropped WITH (FORCE) at the end
  await client.connect();
  await beforeLoad?.(client);
  for (const text of bulkObjectStatements('postgres', spec)) await client.query(text, [location.projectId, utf8(location.bucket)]);
  return client;
}
