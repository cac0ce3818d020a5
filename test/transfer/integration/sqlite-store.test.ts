import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { integrationStoreSuite } from '../../../src/testing/integration-store-suite.js';
import { SqliteIntegrationStore } from '../../../src/transfer/integration/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-im-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

integrationStoreSuite({
  name: 'SQLite file',
  async open() {
    return SqliteIntegrationStore.open({ path: join(dir, `im-${++files}.db`) });
  },
  async reopen(store) {
    await store.close();
    return SqliteIntegrationStore.open({ path: join(dir, `im-${files}.db`) });
  },
});

integrationStoreSuite({
  name: 'SQLite in memory',
  async open() {
    return SqliteIntegrationStore.open({ path: ':memory:' });
  },
});
