/**
 * `handoff core run --console` as a person runs it: a real process that prints the console's
 * address; Chromium opens it, loads the user's identity file with the file picker and reaches
 * the core's RPC service over WebSocket on the core's own --address.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import { CliProcesses } from '../cli/support/procs.js';
import { describeWith } from '../support/env.js';
import { buildConsole, CHROMIUM, chromiumMissing } from './support.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describeWith('chromium', chromiumMissing, 'handoff core run --console', () => {
  let root: string;
  let procs: CliProcesses;
  let browser: Browser | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'handoff-console-cli-'));
    await buildConsole(join(root, 'console'));
    procs = new CliProcesses({ HANDOFF_CONSOLE_ASSETS: join(root, 'console') });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await procs?.killAll();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('prints the console address; the page signs in with an identity file and talks to the core over WebSocket', async () => {
    const alice = Identity.generate();
    const provider = Identity.generate();
    await alice.save(join(root, 'alice.pem'));
    mkdirSync(join(root, 'core'));
    const coreAddress = `127.0.0.1:${await freePort()}`;
    const core = procs.start([
      'core', 'run', '--dir', join(root, 'core'), '--address', coreAddress, '--console', '127.0.0.1:0',
      '--provider', `hippo=${provider.id}@127.0.0.1:1`, '--drive', '4123=hippo', '--user', `alice=${alice.id}`, '--grant', 'alice:4123:read',
    ]);
    const [, url] = await core.waitFor(/web console at (http:\/\/127\.0\.0\.1:\d+\/)/);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(url!);
    expect(await page.getByText(`at ${coreAddress}`).count()).toBe(1);
    await page.getByLabel('Identity file').setInputFiles(join(root, 'alice.pem'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No tasks match.').waitFor({ timeout: 15_000 });
    expect(await page.getByText(alice.id.toString()).count()).toBe(1);
    expect(errors).toEqual([]);

    core.child.kill('SIGINT');
    expect(await core.exited).toBe(0);
    expect(core.stdout).toContain('transfer core stopped');
  }, 120_000);
});
