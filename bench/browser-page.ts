/**
 * The page bench/browser.ts runs in Chromium: a browser uplink (WebSocket, @noble crypto,
 * WebAssembly erasure kernel) uploads and downloads one object and times both.
 */
import { equalBytes } from '../src/core/bytes.js';
import { webSocketTransport } from '../src/transport/index.js';
import { Uplink } from '../src/uplink/index.js';

export interface BrowserBenchInput {
  readonly satelliteAddress: string;
  readonly satelliteId: string;
  readonly apiKey: string;
  readonly kdf: { readonly memoryKiB: number; readonly iterations: number; readonly parallelism: number };
  readonly segmentSize: number;
  readonly bucket: string;
  readonly size: number;
}

export interface BrowserBenchResult {
  readonly uploadMs: number;
  readonly downloadMs: number;
  readonly identical: boolean;
}

async function run(input: BrowserBenchInput): Promise<BrowserBenchResult> {
  const uplink = await Uplink.connect({
    transport: webSocketTransport(),
    satelliteAddress: input.satelliteAddress,
    satelliteId: input.satelliteId,
    apiKey: input.apiKey,
    passphrase: 'bench',
    kdf: input.kdf,
    segmentSize: input.segmentSize,
  });
  try {
    await uplink.createBucket(input.bucket);
    const data = new Uint8Array(input.size);
    for (let offset = 0; offset < data.length; offset += 65_536) crypto.getRandomValues(data.subarray(offset, offset + 65_536));
    const t0 = performance.now();
    await uplink.upload(input.bucket, 'object', data);
    const t1 = performance.now();
    const back = await uplink.download(input.bucket, 'object');
    const t2 = performance.now();
    return { uploadMs: t1 - t0, downloadMs: t2 - t1, identical: equalBytes(back, data) };
  } finally {
    await uplink.close();
  }
}

(globalThis as { benchUplink?: typeof run }).benchUplink = run;
