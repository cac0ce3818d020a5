import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ledgerMigrations } from '../../src/orders/ledger/store/sql.js';
import { projectMigrations } from '../../src/projects/store/sql.js';
import { SqliteProjectStore } from '../../src/projects/store/sqlite.js';
import { POSTGRES, SQLITE } from '../../src/sql/dialect.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('schemas written once for both dialects', () => {
  // A migration that has shipped runs again on every new database: its text must never drift,
  // even when the code that renders it is reshaped. These are the digests of the shipped texts.
  it('render, per dialect, exactly the migrations each store shipped', () => {
    expect(projectMigrations(SQLITE).map(sha256)).toEqual(['d613bad6e6e8e7f1545a93762963a1182c79dc3ecbb6ffe5843370e682673a1e', '6610f0a9706df0637c07802fc793126a83a1810b6099d0799cdf8cbf466e692e']);
    expect(projectMigrations(POSTGRES).map(sha256)).toEqual(['c3f8401988d50b76ad280db3f5285601bdc05a48aed6741332fc20c6e1e05402', '207fcd04b97600badd4810c02154c2233a57826a1a549a148a51e12dc11a80f8']);
    expect(ledgerMigrations(SQLITE).map(sha256)).toEqual(['2e4aa44f7324462e27c1b2c8bbf6f5003e466b25e2d7e53a658eb9eea46c40ba']);
    expect(ledgerMigrations(POSTGRES).map(sha256)).toEqual(['7a9e254aa72fcd52fd25251e9d38a14f96b563125b33c9db2b146ef34d42d2ef']);
  });
});

describe('the shared project store on a host-owned SQLite connection', () => {
  it('refuses a key for a project that does not exist even when the host turned foreign keys off', async () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = OFF');
    const projects = await SqliteProjectStore.open({ database: db });
    await expect(projects.createApiKey(new Uint8Array(16).fill(7), 1_000)).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(db.prepare('SELECT count(*) AS n FROM api_keys').get()).toEqual({ n: 0 });
    const { projectId } = await projects.createProject('photos', 1_000);
    await expect(projects.createApiKey(projectId, 2_000)).resolves.toMatch(/./);
    await projects.close();
    db.close();
  });
});
