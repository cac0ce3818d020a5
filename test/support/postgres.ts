import { afterAll, beforeAll } from 'vitest';
/**
 * PostgreSQL for tests: each caller gets a database of its own, created on the server named by
 * HANDOFF_PG_URL, so runs (and test files running in parallel) never see each other's rows and
 * fixed schema names like `file_orchestrator` cannot collide.
 *
 * ```ts
 * describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL store', () => {
 *   let db: TestDatabase;
 *   beforeAll(async () => { db = await createTestDatabase(); });
 *   afterAll(async () => { await db.drop(); });
 * });
 * ```
 */
import { createScratchDatabase, type ScratchDatabase } from '../../src/sql/postgres.js';
import pg from 'pg';

/** The server tests use, e.g. `postgres://postgres@127.0.0.1:5432/test`. */
export const postgresUrl: string | undefined = process.env.HANDOFF_PG_URL || undefined;

/** Why PostgreSQL tests cannot run here, or undefined when the server answers. */
export const postgresUnavailable: string | undefined = await probe();

export type TestDatabase = ScratchDatabase;

/** Creates a uniquely named, empty database on the HANDOFF_PG_URL server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!postgresUrl) throw new Error('HANDOFF_PG_URL is not set');
  return createScratchDatabase(postgresUrl, 'handoff_test');
}

async function probe(): Promise<string | undefined> {
  if (!postgresUrl) return 'HANDOFF_PG_URL is not set';
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `cannot reach ${redact(postgresUrl)}: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'HANDOFF_PG_URL';
  }
}

/** Runs one statement on its own connection and returns the rows (for assertions on raw tables). */
export async function sql(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // the database may be dropped WITH (FORCE) under it
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/**
 * A fresh database for the tests of one `describe` block, created before them and dropped after.
 * Call inside the block; read `.url` from the returned object in hooks and tests.
 */
export function useTestDatabase(): { readonly url: string } {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  return {
    get url(): string {
      if (!db) throw new Error('the test database is created in beforeAll; use it inside hooks and tests');
      return db.url;
    },
  };
}
