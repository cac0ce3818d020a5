import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteContainmentStore } from '../../../src/durability/audit/store/sqlite.js';
import { containmentStoreSuite } from '../../../src/testing/containment-store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-containment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const pathOf = new WeakMap<object, string>();

containmentStoreSuite({
  name: 'SQLite',
  async open() {
    const path = join(dir, `containment-${++files}.db`);
    const store = await SqliteContainmentStore.open({ path });
    pathOf.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = pathOf.get(store)!;
    await store.close();
    const again = await SqliteContainmentStore.open({ path });
    pathOf.set(again, path);
    return again;
  },
});
