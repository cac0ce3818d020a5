/**
 * The console's test world: the console built by Vite into a scratch directory, a real transfer
 * network over TCP (core, provider "a" with the built-in plugin, provider "b" with its receiver,
 * each listing its files: <dir>/a and <dir>/b)
 * whose core also takes WebSocket clients, the console's static server, and headless Chromium.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { serveConsole, type ConsoleServer } from '../../src/console/server.js';
import { registerConsoleService } from '../../src/console/service/register.js';
import { ConsoleStore } from '../../src/console/service/store.js';
import { tcpTransport } from '../../src/transport/tcp.js';
import { filesystemFiles } from '../../src/transfer/integration/fs-files.js';
import { builtinKit } from '../transfer/builtin/kit.js';
import type { PluginKit, PluginSides } from '../transfer/integration/world.js';
import { createTransferNetwork, type TransferNetwork } from '../transfer/rpc/network.js';

export const CHROMIUM = process.env.HANDOFF_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;

/**
 * Takes a screenshot of `page` (as a user would see it). The pictures in docs/console come from
 * here: with HANDOFF_UPDATE_SCREENSHOTS=1 it replaces docs/console/<name>; otherwise the tree is
 * left as it is, so a test run never dirties a checkout.
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const png = await page.screenshot(options);
  if (process.env.HANDOFF_UPDATE_SCREENSHOTS === '1') writeFileSync(join(process.cwd(), 'docs', 'console', name), png);
}

/** Builds the console (vite.config.ts) into `outDir`. */
export async function buildConsole(outDir: string): Promise<void> {
  await build({ configFile: join(process.cwd(), 'vite.config.ts'), build: { outDir, emptyOutDir: true, sourcemap: false }, logLevel: 'error' });
}

export interface ConsoleWorld {
  readonly dir: string;
  readonly network: TransferNetwork;
  readonly sides: PluginSides;
  readonly site: ConsoleServer;
  /** The console's records at the core (settings, histories, email outbox). */
  readonly store: ConsoleStore;
  /** What the console service reported as failed. */
  readonly serviceErrors: unknown[];
  readonly browser: Browser;
  /** Errors the page threw or logged. */
  readonly pageErrors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** `kit`: the transfer plugin between the providers (default the built-in one). */
export async function openConsoleWorld(options: { bandwidthLimitKiBps: number; kit?: PluginKit }): Promise<ConsoleWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-console-'));
  const closers: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const assets = join(dir, 'console');
    await buildConsole(assets);
    mkdirSync(join(dir, 'b', '2002', 'inbox'), { recursive: true });
    const kit = options.kit ?? builtinKit();
    const sides = await kit.open(dir, join(dir, 'b'));
    closers.push(() => sides.close());
    const tcp = tcpTransport({ acceptWebSocket: true });
    const network = await createTransferNetwork({
      transportFor: () => tcp,
      listenAddress: () => '127.0.0.1:0',
      plugin: sides.plugin(join(dir, 'a-keys'), { bandwidthLimitKiBps: options.bandwidthLimitKiBps }),
      receiver: sides.receiver,
      resolveSource: (p) => join(dir, 'a', p),
      // Each provider lists the folder it serves, for the dialog's browser.
      files: { a: filesystemFiles(join(dir, 'a')), b: filesystemFiles(join(dir, 'b')) },
      pollIntervalMs: 100,
    });
    closers.push(() => network.close());
    const store = ConsoleStore.open(join(dir, 'console.db'));
    closers.push(async () => store.close());
    const serviceErrors: unknown[] = [];
    const unregister = registerConsoleService(network.servers.core, { core: network.core, users: network.users, store, onError: (err) => serviceErrors.push(err) });
    closers.push(async () => unregister());
    const site = await serveConsole({ address: '127.0.0.1:0', assetsDir: assets, config: { coreId: network.identities.core.id.toString(), coreAddress: network.addresses.core } });
    closers.push(() => site.close());
    // CI runs as root, where Chromium's sandbox refuses to start; containers often have a tiny /dev/shm.
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    closers.push(() => browser.close());
    const pageErrors: string[] = [];
    return {
      dir,
      network,
      sides,
      site,
      store,
      serviceErrors,
      browser,
      pageErrors,
      async newPage() {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        page.on('pageerror', (err) => pageErrors.push(err.message));
        page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
        return page;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Opens the console in `page` and signs in with `pem` (an identity file's text). */
export async function signInAs(page: Page, url: string, pem: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Identity (PEM)').fill(pem);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Tasks' }).waitFor({ timeout: 15_000 });
}
