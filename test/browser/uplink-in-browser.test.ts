/**
 * The uplink in a real browser: a satellite and storage nodes run in this process, listening on
 * TCP and WebSocket on the same ports; headless Chromium runs the uplink bundled for the browser
 * (WebSocket transport, @noble crypto, WebAssembly erasure kernel) through a whole object story;
 * a Node uplink with the same passphrase reads what the browser wrote, and the other way round.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { equalBytes } from '../../src/core/bytes.js';
import { createTestNetwork, TEST_KDF, TEST_SEGMENT_SIZE, type TestNetwork } from '../../src/testing/network.js';
import { describeWith } from '../support/env.js';
import { bundleForBrowser, nodeOnlyInputs } from './bundle.js';
import { BROWSER_OBJECT, NODE_OBJECT, storyBytes, type StoryInput, type StoryPage } from './story.js';

const CHROMIUM = process.env.HANDOFF_CHROMIUM ?? '/usr/bin/chromium';
const PASSPHRASE = 'the browser and node share this passphrase';

describeWith('chromium', existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`, 'the uplink in a real browser', () => {
  let network: TestNetwork | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let input: StoryInput;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const bundle = await bundleForBrowser('test/browser/page.ts', { minify: false, format: 'iife' });
    expect(nodeOnlyInputs(bundle.inputs)).toEqual([]);
    network = await createTestNetwork({ transport: 'tcp+websocket', nodes: 5 });
    input = {
      satelliteAddress: network.satellite.address,
      satelliteId: network.satellite.id.toString(),
      apiKey: await network.apiKey(),
      passphrase: PASSPHRASE,
      kdf: TEST_KDF,
      segmentSize: TEST_SEGMENT_SIZE,
      bucket: 'browser-bucket',
    };
    // CI runs as root, where Chromium's sandbox refuses to start; containers often have a tiny /dev/shm.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
    await page.addScriptTag({ content: bundle.code });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await network?.close();
  });

  const pageCall = <K extends keyof StoryPage>(name: K): Promise<Awaited<ReturnType<StoryPage[K]>>> =>
    page.evaluate(
      ([call, arg]) => (globalThis as unknown as { handoff: StoryPage }).handoff[call](arg) as Promise<never>,
      [name, input] as const,
    );

  it('creates a bucket, uploads a multi-segment object, lists, downloads, moves and reads it again, all in Chromium', async () => {
    const report = await pageCall('browserWrites');
    expect(pageErrors).toEqual([]);
    expect(report).toEqual({
      crypto: 'noble',
      erasureKernel: 'simd',
      listedAfterUpload: [BROWSER_OBJECT.key],
      listedAfterMove: [BROWSER_OBJECT.movedKey],
      segments: Math.ceil(BROWSER_OBJECT.length / TEST_SEGMENT_SIZE),
      downloadIdentical: true,
      movedDownloadIdentical: true,
      oldKeyError: 'NotFoundError',
    });
  }, 120_000);

  it('a Node uplink with the same passphrase reads the browser\'s object, and the browser reads the Node uplink\'s', async () => {
    const uplink = await network!.uplink({ passphrase: PASSPHRASE });
    const fromBrowser = await uplink.download(input.bucket, BROWSER_OBJECT.movedKey);
    expect(equalBytes(fromBrowser, storyBytes(BROWSER_OBJECT.length, BROWSER_OBJECT.seed))).toBe(true);
    await uplink.upload(input.bucket, NODE_OBJECT.key, storyBytes(NODE_OBJECT.length, NODE_OBJECT.seed));
    expect(await pageCall('browserReads')).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
