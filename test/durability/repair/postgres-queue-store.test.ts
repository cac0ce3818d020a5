import { expect, it } from 'vitest';
import { PostgresRepairQueueStore, REPAIR_QUEUE_POSTGRES_SCHEMA_VERSION } from '../../../src/durability/repair/store/postgres.js';
import { repairQueueStoreSuite } from '../../../src/testing/repair-queue-store-suite.js';
import { describeWith } from '../../support/env.js';
import { postgresUnavailable, sql, useTestDatabase } from '../../support/postgres.js';

describeWith('PostgreSQL', postgresUnavailable, 'PostgreSQL repair queue store', () => {
  const db = useTestDatabase();

  repairQueueStoreSuite({
    name: 'PostgreSQL',
    async open() {
      const store = await PostgresRepairQueueStore.open({ connectionString: db.url, maxConnections: 8 });
      await sql(db.url, 'TRUNCATE repair_queue');
      return store;
    },
    async reopen(store) {
      await store.close();
      return PostgresRepairQueueStore.open({ connectionString: db.url });
    },
  });

  it('records its own schema version row', async () => {
    await (await PostgresRepairQueueStore.open({ connectionString: db.url })).close();
    const rows = await sql(db.url, `SELECT version FROM handoff_schema_versions WHERE store = 'repair_queue'`);
    expect(rows).toEqual([{ version: REPAIR_QUEUE_POSTGRES_SCHEMA_VERSION }]);
  });
});
