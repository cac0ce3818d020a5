import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteMetabaseStore } from '../../src/metainfo/metabase/sqlite.js';
import { moveScenarios } from './scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-move-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

moveScenarios({ name: 'SQLite', open: () => SqliteMetabaseStore.open({ path: join(dir, `metabase-${files++}.db`) }), large: { segments: 3000, chunk: 500 } });
