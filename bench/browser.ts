/**
 * The uplink in Chromium against the uplink on Node, on the same local network in the same run:
 * a satellite and ten storage nodes (memory piece stores, 4/6/8/10 redundancy, 16 MiB segments)
 * listening on TCP and WebSocket on the same ports (`acceptWebSocket`). Three uplinks upload and
 * download a 64 MiB object each: Node over TCP (the baseline), Node over WebSocket (what the
 * transport alone costs), and Chromium (WebSocket, @noble crypto, the WebAssembly erasure kernel).
 * The servers share this process with the Node uplinks but not with Chromium's page. No goal:
 * a measurement for docs and the README.
 *
 * Needs Debian's chromium (`/usr/bin/chromium`, or HANDOFF_CHROMIUM). Run alone with
 * `npx tsx bench/browser.ts`.
 */
import { randomFillSync } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { RedundancyScheme } from '../src/metainfo/metabase/types.js';
import { createTestNetwork, TEST_KDF, type TestNetwork } from '../src/testing/network.js';
import { webSocketTransport } from '../src/transport/index.js';
import type { Transport } from '../src/transport/types.js';
import { cryptoRates, type BrowserBenchInput, type BrowserBenchResult } from './browser-page.js';
import { fmt, mbps, type BenchSection } from './lib.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const SEGMENT_SIZE = 16 * MiB;
const REDUNDANCY: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 4096, required: 4, repair: 6, success: 8, total: 10 };
const CHROMIUM = process.env.HANDOFF_CHROMIUM ?? '/usr/bin/chromium';

interface Timing {
  readonly uploadMs: number;
  readonly downloadMs: number;
}

async function nodeUplink(network: TestNetwork, bucket: string, transport?: Transport): Promise<Timing> {
  const uplink = await network.uplink({ segmentSize: SEGMENT_SIZE, passphrase: 'bench', ...(transport ? { transport } : {}) });
  await uplink.createBucket(bucket);
  const data = randomFillSync(new Uint8Array(SIZE));
  const t0 = performance.now();
  await uplink.upload(bucket, 'object', data);
  const t1 = performance.now();
  const back = await uplink.download(bucket, 'object');
  const t2 = performance.now();
  if (back.length !== data.length) throw new Error('the Node uplink read back a different object');
  await uplink.close();
  return { uploadMs: t1 - t0, downloadMs: t2 - t1 };
}

type Rates = ReturnType<typeof cryptoRates>;
const CRYPTO_BYTES = 16 * MiB;

async function browserUplink(network: TestNetwork, bucket: string): Promise<{ timing: Timing; rates: Rates; version: string }> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./browser-page.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const input: BrowserBenchInput = {
      satelliteAddress: network.satellite.address,
      satelliteId: network.satellite.id.toString(),
      apiKey: await network.apiKey(),
      kdf: TEST_KDF,
      segmentSize: SEGMENT_SIZE,
      bucket,
      size: SIZE,
    };
    const result = await page.evaluate((arg) => (globalThis as unknown as { benchUplink(i: BrowserBenchInput): Promise<BrowserBenchResult> }).benchUplink(arg), input);
    if (!result.identical) throw new Error('the browser uplink read back a different object');
    const rates = await page.evaluate((bytes) => (globalThis as unknown as { cryptoRates(n: number): Rates }).cryptoRates(bytes), CRYPTO_BYTES);
    return { timing: result, rates, version: browser.version() };
  } finally {
    await browser.close();
  }
}

export async function benchBrowser(): Promise<BenchSection> {
  const network = await createTestNetwork({ transport: 'tcp+websocket', nodes: 10, redundancy: REDUNDANCY });
  try {
    const load = os.loadavg()[0]!;
    const tcp = await nodeUplink(network, 'node-tcp');
    const ws = await nodeUplink(network, 'node-ws', webSocketTransport());
    const { timing: browser, rates, version } = await browserUplink(network, 'browser');
    const nodeRates = cryptoRates(CRYPTO_BYTES);
    const rate = (t: Timing, which: keyof Timing) => mbps(SIZE, t[which]);
    const row = (name: string, t: Timing, which: keyof Timing) => ({
      name,
      value: `${fmt(rate(t, which), 1)} MB/s`,
      baseline: `Node uplink over TCP ${fmt(rate(tcp, which), 1)} MB/s`,
      ratio: rate(t, which) / rate(tcp, which),
      goal: '',
    });
    return {
      title: 'The uplink in a browser (64 MiB object, 4/6/8/10, 16 MiB segments, local network)',
      rows: [
        row('Chromium uplink upload (WebSocket, @noble, wasm)', browser, 'uploadMs'),
        row('Chromium uplink download', browser, 'downloadMs'),
        row('Node uplink upload over WebSocket', ws, 'uploadMs'),
        row('Node uplink download over WebSocket', ws, 'downloadMs'),
        { name: `AES-256-GCM in Chromium (${rates.provider})`, value: `${fmt(rates.aesGcm, 1)} MB/s`, baseline: `Node (${nodeRates.provider}) ${fmt(nodeRates.aesGcm, 1)} MB/s`, ratio: rates.aesGcm / nodeRates.aesGcm, goal: '' },
        { name: `SHA-256 in Chromium (${rates.provider})`, value: `${fmt(rates.sha256, 1)} MB/s`, baseline: `Node (${nodeRates.provider}) ${fmt(nodeRates.sha256, 1)} MB/s`, ratio: rates.sha256 / nodeRates.sha256, goal: '' },
      ],
      notes: [
        'An upload seals every byte with AES-256-GCM and hashes every piece (2.5× the bytes at 4/10) with SHA-256; in a browser both run in JavaScript (@noble). Chrome\'s sampling profiler over a 32 MiB upload (2026-12-03): @noble SHA-256 and AES-GCM about 40% of the page\'s samples, waiting on the network and the nodes (busy in the bench process) about 35%, sending 5%, the erasure kernel under 1%. WebCrypto has both hashes and AES-GCM natively, but only as async one-shot calls, where the provider interface is synchronous and piece hashes are incremental.',
        `Satellite and nodes in the bench process (they share it with the Node uplinks, not with Chromium ${version}); load average ${fmt(load, 2)} at the start (the machine is shared).`,
      ],
    };
  } finally {
    await network.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const section = await benchBrowser();
  console.log(JSON.stringify(section, null, 2));
}
