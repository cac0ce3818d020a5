import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { MemoryLedgerStore } from '../../../src/orders/ledger/store/memory.js';
import { PostgresLedgerStore } from '../../../src/orders/ledger/store/postgres.js';
import { SqliteLedgerStore } from '../../../src/orders/ledger/store/sqlite.js';
import { ledgerStoreSuite } from '../../../src/testing/ledger-store-suite.js';
import { describeWith } from '../../support/env.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from '../../support/postgres.js';

ledgerStoreSuite({ name: 'memory', open: async () => new MemoryLedgerStore() });

const dir = mkdtempSync(join(tmpdir(), 'handoff-ledger-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const pathOf = new WeakMap<object, string>();

ledgerStoreSuite({
  name: 'SQLite',
  async open() {
    const path = join(dir, `ledger-${++files}.db`);
    const store = await SqliteLedgerStore.open({ path });
    pathOf.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = pathOf.get(store)!;
    await store.close();
    const again = await SqliteLedgerStore.open({ path });
    pathOf.set(again, path);
    return again;
  },
});

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL ledger store', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  ledgerStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresLedgerStore.open({ connectionString: db.url });
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query('TRUNCATE ledger_serials, ledger_bandwidth');
      await client.end();
      return store;
    },
    async reopen(store) {
      await store.close();
      return PostgresLedgerStore.open({ connectionString: db.url });
    },
  });
});
