import { expect, it } from 'vitest';
import { CONTAINMENT_POSTGRES_SCHEMA_VERSION, PostgresContainmentStore } from '../../../src/durability/audit/store/postgres.js';
import { containmentStoreSuite } from '../../../src/testing/containment-store-suite.js';
import { describeWith } from '../../support/env.js';
import { postgresUnavailable, sql, useTestDatabase } from '../../support/postgres.js';

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL containment store', () => {
  const db = useTestDatabase();

  containmentStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresContainmentStore.open({ connectionString: db.url, maxConnections: 4 });
      await sql(db.url, 'TRUNCATE audit_pending');
      return store;
    },
    async reopen(store) {
      await store.close();
      return PostgresContainmentStore.open({ connectionString: db.url });
    },
  });

  it('records its own schema version row', async () => {
    await (await PostgresContainmentStore.open({ connectionString: db.url })).close();
    const rows = await sql(db.url, `SELECT version FROM handoff_schema_versions WHERE store = 'audit_pending'`);
    expect(rows).toEqual([{ version: CONTAINMENT_POSTGRES_SCHEMA_VERSION }]);
  });
});
