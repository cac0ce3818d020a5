/**
 * The web console in headless Chromium against a real core and two providers (built-in plugin):
 * the page is served as static files, signs in with the user's identity file and talks to the
 * core through the SDK's TransferClient over WebSocket. It shows only the user's tasks, live
 * progress without reload, pause/resume/cancel from the page, the filter, the side menu's runs
 * and notifications when a task fails, is halted or succeeds.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { afterAll, beforeAll } from 'vitest';
import type { Page } from 'playwright-core';
import { Identity } from '../../src/crypto/identity.js';
import type { TransferClient } from '../../src/transfer/session/transfer-client.js';
import { describeWith } from '../support/env.js';
import { makeProject, treeDigest } from '../transfer/integration/world.js';
import { waitFor } from '../transfer/rpc/network.js';
import { chromiumMissing, openConsoleWorld, screenshot, type ConsoleWorld } from './support.js';

describeWith('chromium', chromiumMissing, 'the web console: Tasks page in a real browser', () => {
  let world: ConsoleWorld;
  let page: Page;
  let alice: TransferClient;
  const aliceKey = Identity.generate();

  beforeAll(async () => {
    world = await openConsoleWorld({ bandwidthLimitKiBps: 2048 });
    alice = world.network.client('alice', aliceKey);
    page = await world.newPage();
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  const row = (taskId: number) => page.locator(`tr[data-task="${taskId}"]`);

  async function submit(client: TransferClient, source: string): Promise<number> {
    const [result] = await client.transfer([source], '/2002/inbox');
    if (!result?.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
    return result.taskId;
  }

  it('serves files only: config.json says where the core is, other methods and escapes are refused', async () => {
    const config = (await (await fetch(new URL('config.json', world.site.url))).json()) as unknown;
    expect(config).toEqual({ coreId: world.network.identities.core.id.toString(), coreAddress: world.network.addresses.core });
    expect((await fetch(world.site.url, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(new URL('/%2e%2e/%2e%2e/package.json', world.site.url))).status).toBe(404);
    const index = await fetch(world.site.url);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(await index.text()).toContain('<div id="app">');
  });

  it('refuses a key the core does not know, then signs alice in with her identity file', async () => {
    await page.goto(world.site.url);
    await page.getByLabel('Identity (PEM)').fill(Identity.generate().toPem());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/UnauthenticatedError/);
    await screenshot(page, 'signin.png');

    await page.getByLabel('Identity (PEM)').fill(aliceKey.toPem());
    // Keyboard only: focus the button and press Enter.
    await page.getByRole('button', { name: 'Sign in' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tasks' }).waitFor({ timeout: 15_000 });
    expect(await page.getByText(aliceKey.id.toString()).count()).toBe(1);
  }, 30_000);

  it('shows alice her running task with live progress, never bob\'s; pauses and resumes it from the page; notifies its success', async () => {
    makeProject(join(world.dir, 'a', '1001'), 8);
    const bob = world.network.client('bob');
    const bobTask = await submit(bob, '/1001/project');
    await bob.cancel(bobTask);
    const taskId = await submit(alice, '/1001/project');
    await alice.exchangeKeys(taskId);

    // Progress moves on the page without a reload.
    await expect.poll(async () => Number.parseFloat((await row(taskId).locator('.percent').textContent()) ?? '0'), { timeout: 20_000 }).toBeGreaterThan(0);
    const first = await row(taskId).locator('.percent').textContent();
    await expect.poll(() => row(taskId).locator('.percent').textContent(), { timeout: 20_000 }).not.toBe(first);
    expect(await row(bobTask).count()).toBe(0);
    // The side menu's runs list it.
    expect(await page.getByRole('navigation', { name: 'Side menu' }).getByRole('list', { name: 'Running tasks' }).textContent()).toContain(`#${taskId}`);
    await screenshot(page, 'tasks.png', { fullPage: true });

    await page.getByRole('button', { name: `Pause task ${taskId}` }).click();
    await expect.poll(() => row(taskId).getAttribute('data-state'), { timeout: 20_000 }).toBe('PAUSED');
    expect(await alice.getTask(taskId)).toMatchObject({ state: 'PAUSED', pausedByUser: true });
    // A pause the user asked for is no interruption.
    expect(await page.getByRole('log').textContent()).not.toContain(`Task ${taskId}`);

    await page.getByRole('button', { name: `Resume task ${taskId}` }).click();
    await expect.poll(() => row(taskId).getAttribute('data-state'), { timeout: 60_000 }).toBe('SUCCESS');
    await expect.poll(() => page.getByRole('log').textContent(), { timeout: 10_000 }).toContain(`Task ${taskId} succeeded`);
    expect(treeDigest(join(world.dir, 'b', '2002', 'inbox', 'project'))).toEqual(treeDigest(join(world.dir, 'a', '1001', 'project')));
    expect(await row(bobTask).count()).toBe(0);

    // The history of states, as the core recorded them.
    await page.getByRole('button', { name: `History of task ${taskId}` }).click();
    const states = page.getByRole('list', { name: `States of task ${taskId}` }).locator('strong');
    await expect.poll(() => states.allTextContents(), { timeout: 10_000 }).toEqual(['INITIATED', 'RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
    await screenshot(page, 'history.png', { fullPage: true });
  }, 120_000);

  it('stores the email-notification setting at the core, and queues the email of an interruption', async () => {
    await page.getByLabel('Email me when a task is interrupted or succeeds').check();
    await page.getByLabel('Email address').fill('alice@example.org');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor({ timeout: 10_000 });
    expect(world.store.settings('alice')).toEqual({ emailNotifications: true, email: 'alice@example.org' });
    expect(world.store.settings('bob')).toEqual({ emailNotifications: false, email: '' });
    // A new sign-in (the key is not kept) reads it back from the core.
    await page.reload();
    await page.getByLabel('Identity (PEM)').fill(aliceKey.toPem());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByLabel('Email me when a task is interrupted or succeeds').isChecked(), { timeout: 15_000 }).toBe(true);
    expect(await page.getByLabel('Email address').inputValue()).toBe('alice@example.org');
  }, 30_000);

  it('notifies a failure with its reason, cancels a task from the page, and filters by state', async () => {
    // /1001/second is a folder the core knows but provider "a" does not have: it fails there.
    const failed = await submit(alice, '/1001/second');
    await alice.exchangeKeys(failed).catch(() => undefined);
    await waitFor(async () => (await alice.getTask(failed)).state === 'FAILURE', () => 'FAILURE at the core', 20_000);
    await expect.poll(() => page.getByRole('log').textContent(), { timeout: 20_000 }).toMatch(new RegExp(`Task ${failed} failure: /1001/second`));

    const running = await submit(alice, '/1001/project');
    await alice.exchangeKeys(running);
    await expect.poll(() => row(running).getAttribute('data-state'), { timeout: 20_000 }).toBe('RUNNING');
    await page.getByRole('button', { name: `Cancel task ${running}` }).click();
    await expect.poll(() => row(running).getAttribute('data-state'), { timeout: 20_000 }).toBe('HALTED');
    await expect.poll(() => page.getByRole('log').textContent(), { timeout: 10_000 }).toContain(`Task ${running} halted`);
    await waitFor(async () => (await alice.getTask(running)).state === 'HALTED', () => 'HALTED at the core');

    await page.getByLabel('State').selectOption('FAILURE');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect.poll(() => page.locator('tr[data-task]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task'))), { timeout: 10_000 }).toEqual([String(failed)]);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => page.locator('tr[data-task]').count(), { timeout: 10_000 }).toBe(3);
    // Newest first.
    const ids = await page.locator('tr[data-task]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-task'))));
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    // The core queued alice's emails for the failure and the halt (not for bob, who asked for none).
    expect(world.store.outbox().map((e) => [e.user, e.email, e.taskId, e.kind])).toEqual([
      ['alice', 'alice@example.org', failed, 'interrupted'],
      ['alice', 'alice@example.org', running, 'interrupted'],
    ]);
    expect(world.serviceErrors).toEqual([]);
    expect(world.pageErrors).toEqual([]);
  }, 120_000);
});
