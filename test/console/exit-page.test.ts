/**
 * The node operator's exit page in headless Chromium against a real satellite and storage nodes:
 * the page is served by `serveNodeConsole` (what `node run --console` starts), signs in with the
 * node's identity and talks to its owner-only admin endpoint over WebSocket. Starting an exit
 * needs the satellite typed, as `handoff node exit-satellite` asks; the finished exit shows its
 * bytes and pieces and a receipt the page verified.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminAddressFile } from '../../src/admin/address-file.js';
import { formatBytes } from '../../src/cli/format.js';
import { Identity } from '../../src/crypto/identity.js';
import { decodeExitReceipt, verifyExitReceipt } from '../../src/exit/receipt.js';
import { ExitProgressFeed, serveNodeConsole, startNodeAdmin } from '../../src/node/admin/index.js';
import { createTestNetwork, type TestNetwork } from '../../src/testing/network.js';
import { tcpTransport } from '../../src/transport/tcp.js';
import { CliProcesses } from '../cli/support/procs.js';
import { describeWith } from '../support/env.js';
import { patterned } from '../uplink/support/bytes.js';
import { buildConsole, CHROMIUM, chromiumMissing, screenshot } from './support.js';

/** Every piece of a segment is needed (total = success): the leaving node hands its pieces over, none is dropped as spare. */
const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;

describeWith('chromium', chromiumMissing, 'the node operator’s exit page', () => {
  const closers: (() => Promise<unknown>)[] = [];
  let dir: string;
  let net: TestNetwork;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-exit-page-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    await buildConsole(join(dir, 'console'));
    net = await createTestNetwork({ nodes: 6, redundancy: NO_SPARE, satellite: { exit: { notReadyRetryMs: 10 } }, nodeExit: { minBackoffMs: 10 } });
    closers.push(() => net.close());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    closers.push(() => browser.close());
  }, 120_000);

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('starts an exit only once the satellite is typed, then shows it finished with its bytes, pieces and verified receipt', async () => {
    const uplink = await net.uplink();
    await uplink.createBucket('bucket');
    await uplink.upload('bucket', 'a', patterned(200_000, 1));
    await uplink.upload('bucket', 'b', patterned(70_000, 2));
    const satelliteId = net.satellite.id.bytes;
    const node = [...net.nodes].sort((a, b) => b.storage.usedBytes(satelliteId) - a.storage.usedBytes(satelliteId))[0]!;
    const held = node.storage.usedBytes(satelliteId);
    expect(held).toBeGreaterThan(0);

    mkdirSync(join(dir, 'node'));
    const identityPath = join(dir, 'node', 'identity.pem');
    await node.identity.save(identityPath);
    const progress = new ExitProgressFeed();
    const admin = await startNodeAdmin({ node, progress, addressFile: adminAddressFile(identityPath), transport: tcpTransport({ acceptWebSocket: true }) });
    closers.push(() => admin.close());
    const site = await serveNodeConsole({ address: '127.0.0.1:0', nodeId: node.id.toString(), adminAddress: admin.address, assetsDir: join(dir, 'console') });
    closers.push(() => site.close());
    expect(site.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/node\.html$/);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(site.url);

    // Another key is not the node: the page says so and stays signed out.
    await page.getByLabel('Identity (PEM)').fill(Identity.generate().toPem());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not storage node');

    await page.getByLabel('Identity file').setInputFiles(identityPath);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Graceful exits' }).waitFor({ timeout: 15_000 });
    const row = page.getByRole('row', { name: `satellite ${net.satellite.id.toString()}` });
    await expect.poll(() => row.textContent()).toContain('no exit started');

    // The CLI's confirmation: nothing starts until the chosen satellite's id or address is typed.
    const start = page.getByRole('button', { name: 'Start exit' });
    expect(await start.isDisabled()).toBe(true);
    await page.getByLabel('Satellite to exit').selectOption(net.satellite.id.toString());
    const confirm = page.getByLabel(/Type the id or address of satellite/);
    await confirm.fill('127.0.0.1:1');
    expect(await start.isDisabled()).toBe(true);
    await confirm.fill(net.satellite.id.toString().slice(0, -1));
    expect(await start.isDisabled()).toBe(true);
    expect(await node.exitStatuses()).toEqual([]);
    await confirm.fill(net.satellite.id.toString().toUpperCase());
    expect(await start.isDisabled()).toBe(false);
    await screenshot(page, 'exit-confirm.png', { fullPage: true });
    await start.click();
    await page.getByRole('status').filter({ hasText: 'started (it cannot be cancelled)' }).waitFor({ timeout: 30_000 });

    const finished = (await node.exitFinished(satelliteId))!;
    expect(finished.state).toBe('completed');
    expect(verifyExitReceipt(decodeExitReceipt(finished.receipt!), net.satellite.id, { nodeId: node.id })).toBe(true);
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('verified: signed by the satellite for this node');
    const text = (await row.textContent())!;
    expect(text).toContain('completed');
    expect(text).toContain('100.0 %');
    expect(text).toContain(formatBytes(finished.bytesTransferred));
    expect(text).toContain(`${finished.piecesTransferred} pieces transferred, ${finished.piecesFailed} failed`);
    expect(finished.piecesTransferred).toBeGreaterThan(0);
    await row.getByText('receipt (base64)').click();
    expect(await row.locator('code.receipt').textContent()).toBe(Buffer.from(finished.receipt!).toString('base64'));
    // Exited from its only satellite: nothing is left to start.
    await page.getByText('This node has no satellite left to exit.').waitFor();
    await screenshot(page, 'exit-page.png', { fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('handoff node run --console prints the page; it signs in with identity.pem and reads the node over WebSocket', async () => {
    const procs = new CliProcesses({ HANDOFF_CONSOLE_ASSETS: join(dir, 'console') });
    closers.push(() => procs.killAll());
    const satellite = procs.start(['satellite', 'run', '--address', '127.0.0.1:0', '--store', 'memory', '--identity', join(dir, 'cli-sat.pem')]);
    const satelliteRef = (await satellite.waitFor(/satellite (\S+@\S+) is running/))[1]!;
    const nodeDir = join(dir, 'cli-node');
    const node = procs.start(['node', 'run', '--dir', nodeDir, '--satellite', satelliteRef, '--console', '127.0.0.1:0']);
    const [, url, pem] = await node.waitFor(/exit page at (http:\/\/127\.0\.0\.1:\d+\/node\.html) \(sign in with (\S+)\)/);
    expect(pem).toBe(join(nodeDir, 'identity.pem'));

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(url!);
    await page.getByLabel('Identity file').setInputFiles(pem!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.getByRole('row', { name: `satellite ${satelliteRef.split('@')[0]}` });
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('no exit started');
    expect(await page.getByRole('button', { name: 'Start exit' }).isDisabled()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
