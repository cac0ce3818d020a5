/**
 * `handoff provider run --store postgres://…` as an operator runs it: a core and two providers,
 * each a process of its own, the providers' tasks in one PostgreSQL database (a scratch one,
 * whose URL carries a password that must never be printed), a folder transferred byte for byte,
 * the tasks found in the database afterwards, and every party stopping cleanly on SIGTERM.
 * Named for the CockroachDB-mode run of .ci/run, which runs it again with `handoff_mode=cockroachdb`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import { describeWith } from '../support/env.js';
import { createTestDatabase, postgresUnavailable, sql, type TestDatabase } from '../support/postgres.js';
import { CliProcesses } from './support/procs.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

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
    const keys = { core: Identity.generate(), hippo: Identity.generate(), aau: Identity.generate(), alice: Identity.generate() };
    for (const party of ['core', 'hippo', 'aau'] as const) {
      mkdirSync(join(root, party));
      await keys[party].save(join(root, party, 'identity.pem'));
    }
    await keys.alice.save(join(root, 'alice.pem'));
    const port = { core: await freePort(), hippo: await freePort(), aau: await freePort() };
    const address = (p: keyof typeof port): string => `127.0.0.1:${port[p]}`;
    const ref = (p: 'hippo' | 'aau'): string => `${p}=${keys[p].id}@${address(p)}`;
    procs = new CliProcesses({ HANDOFF_CONFIG_DIR: join(root, 'config'), HANDOFF_CORE: `${keys.core.id}@${address('core')}`, HANDOFF_IDENTITY: join(root, 'alice.pem') });
    // Trust authentication ignores it; the command must still keep it to itself.
    const url = new URL(db.url);
    url.password = 'hunter2-not-for-logs';
    const storeUrl = url.toString();

    const files = { hippo: join(root, 'hippo-files'), aau: join(root, 'aau-files') };
    mkdirSync(join(files.hippo, '4123', 'results', 'raw'), { recursive: true });
    writeFileSync(join(files.hippo, '4123', 'results', 'raw', 'scan.bin'), randomBytes(3 * 1024 * 1024));
    for (let i = 0; i < 4; i++) writeFileSync(join(files.hippo, '4123', 'results', `note-${i}.txt`), `note ${i}\n`.repeat(50 * (i + 1)));
    mkdirSync(join(files.aau, '5243', 'inbox'), { recursive: true });

    const core = procs.start(['core', 'run', '--dir', join(root, 'core'), '--address', address('core'), '--provider', ref('hippo'), '--provider', ref('aau'),
      '--drive', '4123=hippo', '--drive', '5243=aau', '--user', `alice=${keys.alice.id}`, '--grant', 'alice:4123:read', '--grant', 'alice:5243:read+edit']);
    const providers = (['hippo', 'aau'] as const).map((p) =>
      procs.start(['provider', 'run', '--dir', join(root, p), '--id', p, '--core', procs.env.HANDOFF_CORE!, '--root', files[p], '--address', address(p),
        '--peer', ref(p === 'hippo' ? 'aau' : 'hippo'), '--store', storeUrl]),
    );
    await core.waitFor(/transfer core .* is serving/);
    for (const p of providers) await p.waitFor(/with the builtin plugin \(store: postgres:\/\/postgres:\*\*\*@/);

    const submitted = await procs.run(['transfer', '--json', '/4123/results', '/5243/inbox']);
    expect(submitted.code, submitted.stdout + submitted.stderr).toBe(0);
    const { taskId } = JSON.parse(submitted.stdout.trim()) as { taskId: number };
    const watch = await procs.run(['tasks', '--watch', '--interval', '200ms']);
    expect(watch.code, watch.stdout + watch.stderr).toBe(0);
    expect(watch.stdout).toMatch(new RegExp(`task ${taskId} +SUCCESS +100\\.0 %`));
    expect(digest(join(files.aau, '5243', 'inbox', 'results'))).toEqual(digest(join(files.hippo, '4123', 'results')));

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
