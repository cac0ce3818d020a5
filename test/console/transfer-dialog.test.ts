/**
 * The transfer dialog in headless Chromium against a real core and two providers — with the
 * built-in plugin, and with rsync over the test sshd as the issue names it: the user browses
 * their drives (each provider lists the folder it serves, through the core), opens a drive,
 * enters a folder and ticks two folders there and a file on another drive, picks the destination
 * folder by browsing, and submits only once the seed's three confirmations are given. The core's
 * reason shows beside the refused item, the key exchange with both providers runs from the
 * browser, and both tasks run to SUCCESS on the Tasks page with the files identical at the
 * destination.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CONFIRMATIONS, DESTINATION_HEADING, DESTINATION_LABEL, SOURCES_LABEL } from '../../src/console/ui/transfer-dialog.js';
import { Identity } from '../../src/crypto/identity.js';
import { startSshd, sshUnavailableReason, type SshServer } from '../../src/testing/sshd.js';
import { describeWith } from '../support/env.js';
import { rsyncKit } from '../transfer/integration/rsync-kit.js';
import { makeProject, treeDigest, type PluginKit } from '../transfer/integration/world.js';
import { chromiumMissing, openConsoleWorld, screenshot as takeScreenshot, signInAs, type ConsoleWorld } from './support.js';

function dialogStory(kit: () => Promise<{ kit?: PluginKit; close(): Promise<void> }>, screenshot: boolean): void {
  let world: ConsoleWorld;
  let page: Page;
  let plugin: { close(): Promise<void> } | undefined;
  const aliceKey = Identity.generate();

  beforeAll(async () => {
    const chosen = await kit();
    plugin = chosen;
    world = await openConsoleWorld({ bandwidthLimitKiBps: 8192, ...(chosen.kit ? { kit: chosen.kit } : {}) });
    world.network.users.add(aliceKey.id, 'alice');
    page = await world.newPage();
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    await plugin?.close();
  });

  it('browses to two folders and a file, picks the destination by browsing, confirms three times, refuses one item with its reason and runs the other two to SUCCESS', { timeout: 120_000 }, async () => {
    const work = join(world.dir, 'a', '1001', 'work');
    makeProject(work, 2);
    mkdirSync(join(work, 'second'), { recursive: true });
    writeFileSync(join(work, 'second', 'notes.txt'), 'the second folder\n');
    writeFileSync(join(work, 'loose.txt'), 'not ticked\n');
    writeFileSync(join(world.dir, 'b', '2002', 'todo.txt'), 'at provider b\n');
    // The core's own catalogue (the test directory) knows them as the host's metadata would.
    world.network.world.addFolder('/1001/work').addFolder('/1001/work/project').addFolder('/1001/work/second').addFile('/2002/todo.txt');

    await signInAs(page, world.site.url, aliceKey.toPem());
    await page.getByRole('button', { name: 'New transfer…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Transfer to another provider' });
    const sources = dialog.getByRole('region', { name: SOURCES_LABEL });
    const target = dialog.getByRole('region', { name: DESTINATION_HEADING });

    // Sources: the drives alice may read, then drive 1001 as provider a lists it.
    expect(await sources.getByRole('list', { name: `${SOURCES_LABEL}: drives` }).getByRole('button').allTextContents()).toEqual(['Drive 1001', 'Drive 2002']);
    await sources.getByRole('button', { name: 'Drive 1001' }).click();
    await sources.getByRole('button', { name: 'Open folder work' }).click();
    const contents = sources.getByRole('list', { name: `${SOURCES_LABEL}: contents of /1001/work` });
    await contents.waitFor();
    expect(await contents.getByRole('listitem').evaluateAll((items) => items.map((li) => li.getAttribute('data-path')))).toEqual(['/1001/work/loose.txt', '/1001/work/project', '/1001/work/second']);
    await contents.getByRole('checkbox', { name: 'Select project' }).check();
    // The keyboard works too: Space ticks the focused checkbox.
    await contents.getByRole('checkbox', { name: 'Select second' }).focus();
    await page.keyboard.press('Space');
    // Back to the drives by the breadcrumbs, and a file on drive 2002 (at provider b, like the destination).
    await sources.getByRole('navigation', { name: `${SOURCES_LABEL}: location` }).getByRole('button', { name: 'Drives' }).click();
    await sources.getByRole('button', { name: 'Drive 2002' }).click();
    await sources.getByRole('checkbox', { name: 'Select todo.txt' }).check();
    expect(await dialog.getByRole('list', { name: 'Selected sources' }).getByRole('listitem').allTextContents()).toEqual(['/1001/work/project ×', '/1001/work/second ×', '/2002/todo.txt ×']);

    // Destination: only drives alice may edit, and only folders in them.
    expect(await target.getByRole('list', { name: `${DESTINATION_LABEL}: drives` }).getByRole('button').allTextContents()).toEqual(['Drive 2002']);
    await target.getByRole('button', { name: 'Drive 2002' }).click();
    const folders = target.getByRole('list', { name: `${DESTINATION_LABEL}: contents of /2002` });
    await folders.waitFor();
    expect(await folders.getByRole('listitem').allTextContents()).toEqual([' inbox folder']);
    await folders.getByRole('button', { name: 'Open folder inbox' }).click();
    await target.getByRole('button', { name: 'Choose this folder' }).click();
    expect(await target.getByRole('status', { name: 'Chosen destination' }).textContent()).toBe('Destination: /2002/inbox');

    const start = dialog.getByRole('button', { name: 'Start transfer' });
    for (const text of CONFIRMATIONS) {
      expect(await start.isDisabled()).toBe(true);
      await dialog.getByLabel(text).check();
    }
    if (screenshot) await takeScreenshot(page, 'transfer-dialog.png');
    expect(await start.isDisabled()).toBe(false);
    await start.click();

    const results = dialog.getByRole('list', { name: 'Transfer results' });
    await results.waitFor({ timeout: 30_000 });
    const items = await results.getByRole('listitem').allTextContents();
    expect(items).toHaveLength(3);
    expect(items[0]).toMatch(/^\/1001\/work\/project — task #(\d+) started$/);
    expect(items[1]).toMatch(/^\/1001\/work\/second — task #(\d+) started$/);
    expect(items[2]).toBe('/2002/todo.txt — refused: source and destination are both at provider "b"; a transfer goes between two providers');
    const taskIds = items.slice(0, 2).map((text) => Number(/#(\d+)/.exec(text)![1]));

    // Escape closes the dialog, as Close does.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 5_000 });
    for (const taskId of taskIds) {
      await expect.poll(() => page.locator(`tr[data-task="${taskId}"]`).getAttribute('data-state'), { timeout: 60_000 }).toBe('SUCCESS');
    }
    expect(treeDigest(join(world.dir, 'b', '2002', 'inbox', 'project'))).toEqual(treeDigest(join(work, 'project')));
    expect(treeDigest(join(world.dir, 'b', '2002', 'inbox', 'second'))).toEqual(treeDigest(join(work, 'second')));
    expect(world.pageErrors).toEqual([]);
  });

  it('takes the focus, loads a big folder page by page, takes typed paths as the fallback, and shows the core\'s reason for a drive that does not exist', { timeout: 60_000 }, async () => {
    const bulk = join(world.dir, 'a', '1001', 'bulk');
    mkdirSync(bulk, { recursive: true });
    for (let i = 0; i < 205; i++) writeFileSync(join(bulk, `f${String(i).padStart(3, '0')}.txt`), '');
    // Animation frames come late, as on a busy machine: the focus must not wait for one (keys
    // typed right after opening went to the page behind while it did).
    await page.addInitScript(() => {
      const frame = window.requestAnimationFrame.bind(window);
      window.requestAnimationFrame = (callback) => frame((time) => void setTimeout(() => callback(time), 500));
    });
    await signInAs(page, world.site.url, aliceKey.toPem());
    await page.getByRole('button', { name: 'New transfer…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Transfer to another provider' });
    // Keyboard users start in the dialog, not behind it.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('dialog');
    const sources = dialog.getByRole('region', { name: SOURCES_LABEL });
    await sources.getByRole('button', { name: 'Drive 1001' }).click();
    await sources.getByRole('button', { name: 'Open folder bulk' }).click();
    const names = sources.getByRole('list', { name: `${SOURCES_LABEL}: contents of /1001/bulk` }).getByRole('listitem');
    await expect.poll(() => names.count(), { timeout: 15_000 }).toBe(200);
    await sources.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => names.count(), { timeout: 15_000 }).toBe(205);
    expect(await names.last().getAttribute('data-path')).toBe('/1001/bulk/f204.txt');
    expect(await sources.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    await dialog.getByText('Enter paths instead').click();
    await dialog.getByLabel('Files or folders to transfer (one path per line)').fill('/9999/nowhere');
    await dialog.getByLabel('Destination folder (at another provider)').fill('/2002/inbox');
    expect(await dialog.getByRole('status', { name: 'Chosen destination' }).textContent()).toBe('Destination: /2002/inbox');
    for (const text of CONFIRMATIONS) await dialog.getByLabel(text).check();
    await dialog.getByRole('button', { name: 'Start transfer' }).click();
    const results = dialog.getByRole('list', { name: 'Transfer results' });
    await results.waitFor({ timeout: 30_000 });
    expect(await results.getByRole('listitem').allTextContents()).toEqual(['/9999/nowhere — refused: the source drive of "/9999/nowhere" does not exist']);
    await page.keyboard.press('Escape');
    expect(world.pageErrors).toEqual([]);
  });
}

describeWith('chromium', chromiumMissing, 'the web console: transfer dialog in a real browser (built-in plugin)', () => {
  dialogStory(async () => ({ close: async () => undefined }), true);
});

describeWith(
  'chromium, sshd, rsync and rrsync',
  chromiumMissing ?? sshUnavailableReason(),
  'the web console: transfer dialog in a real browser (rsync over SSH)',
  () => {
    dialogStory(async () => {
      const sshd: SshServer = await startSshd();
      return { kit: rsyncKit(sshd), close: () => sshd.stop() };
    }, false);
  },
);
