/**
 * `handoff provider run --store postgres://…` as an operator runs it: a core and two providers,
 * each a process of its own, the providers' tasks in one PostgreSQL database (a scratch one,
 * whose URL carries a password that must never be printed), a folder transferred byte for byte,
 * the tasks found in the database afterwards, and every party stopping cleanly on SIGTERM.
 * Named for the CockroachDB-mode run of .ci/run, which runs it again with `handoff_mode=cockroachdb`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/env.js';
import { createTestDatabase, postgresUnavailable, sql, type TestDatabase } from '../support/postgres.js';
import { CliProcesses } from './support/procs.js';
import { digestTree, transferWorld } from './support/transfer-world.js';

describeWith('PostgreSQL', postgresUnavailable, 'provider run with its tasks in PostgreSQL', () => {
  let root: string;
  let db: TestDatabase;
  let procs: CliProcesses;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'handoff-cli-provider-pg-'));
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await procs?.killAll();
    await db?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('keeps both providers\' tasks in one database, completes a transfer and never prints the password', async () => {
    const world = await transferWorld(root);
    procs = new CliProcesses(world.env);
    // Trust authentication ignores it; the command must still keep it to itself.
    const url = new URL(db.url);
    url.password = 'hunter2-not-for-logs';
    const storeUrl = url.toString();

    const files = world.files;
    mkdirSync(join(files.hippo, '4123', 'results', 'raw'), { recursive: true });
    writeFileSync(join(files.hippo, '4123', 'results', 'raw', 'scan.bin'), randomBytes(3 * 1024 * 1024));
    for (let i = 0; i < 4; i++) writeFileSync(join(files.hippo, '4123', 'results', `note-${i}.txt`), `note ${i}\n`.repeat(50 * (i + 1)));

    const core = procs.start(world.coreArgs());
    const providers = (['hippo', 'aau'] as const).map((p) => procs.start(world.providerArgs(p, ['--store', storeUrl])));
    await core.waitFor(/transfer core .* is serving/);
    for (const p of providers) await p.waitFor(/with the builtin plugin \(store: postgres:\/\/postgres:\*\*\*@/);

    const submitted = await procs.run(['transfer', '--json', '/4123/results', '/5243/inbox']);
    expect(submitted.code, submitted.stdout + submitted.stderr).toBe(0);
    const { taskId } = JSON.parse(submitted.stdout.trim()) as { taskId: number };
    const watch = await procs.run(['tasks', '--watch', '--interval', '200ms']);
    expect(watch.code, watch.stdout + watch.stderr).toBe(0);
    expect(watch.stdout).toMatch(new RegExp(`task ${taskId} +SUCCESS +100\\.0 %`));
    expect(digestTree(join(files.aau, '5243', 'inbox', 'results'))).toEqual(digestTree(join(files.hippo, '4123', 'results')));

    for (const p of providers) p.child.kill('SIGTERM');
    for (const p of providers) expect(await p.exited, p.output).toBe(0);
    for (const p of providers) {
      expect(p.output).toMatch(/provider stopped/);
      expect(p.output).not.toContain('hunter2');
    }
    // Nothing went to SQLite on the side.
    for (const p of ['hippo', 'aau']) expect(existsSync(join(root, p, 'provider.db'))).toBe(false);

    // What the providers wrote is in PostgreSQL, each under its own id, and written before they stopped.
    const outgoing = await sql(db.url, `SELECT provider_id, task_id::text AS task_id, state, progress, release_pending FROM provider_integration.outgoing_task`);
    expect(outgoing).toEqual([{ provider_id: 'hippo', task_id: String(taskId), state: 'SUCCESS', progress: 100, release_pending: false }]);
    const incoming = await sql(db.url, `SELECT provider_id, task_id::text AS task_id, source_provider, released_at IS NOT NULL AS released FROM provider_integration.incoming_task`);
    expect(incoming).toEqual([{ provider_id: 'aau', task_id: String(taskId), source_provider: 'hippo', released: true }]);
    core.child.kill('SIGTERM');
    expect(await core.exited, core.output).toBe(0);
  }, 180_000);
});
