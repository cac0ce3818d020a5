/**
 * The page bench/browser.ts runs in Chromium: a browser uplink (WebSocket, @noble crypto,
 * WebAssembly erasure kernel) uploads and downloads one object and times both.
 */
import { equalBytes } from '../src/core/bytes.js';
import { getCryptoProvider } from '../src/crypto/select.js';
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

/** MB/s of AES-256-GCM over 65,520-byte blocks (as segments are sealed) and of SHA-256, with the provider this runtime picks. */
export function cryptoRates(size: number): { provider: string; aesGcm: number; sha256: number } {
  const provider = getCryptoProvider();
  const data = new Uint8Array(size);
  for (let offset = 0; offset < data.length; offset += 65_536) crypto.getRandomValues(data.subarray(offset, offset + 65_536));
  const key = new Uint8Array(32);
  const nonce = new Uint8Array(12);
  let start = performance.now();
  for (let offset = 0; offset < size; offset += 65_520) provider.aeadSeal('aes-256-gcm', key, nonce, data.subarray(offset, offset + 65_520));
  const aesGcm = size / 1e6 / ((performance.now() - start) / 1000);
  start = performance.now();
  provider.sha256(data);
  const sha256 = size / 1e6 / ((performance.now() - start) / 1000);
  return { provider: provider.name, aesGcm, sha256 };
}

(globalThis as { benchUplink?: typeof run; cryptoRates?: typeof cryptoRates }).benchUplink = run;
(globalThis as { cryptoRates?: typeof cryptoRates }).cryptoRates = cryptoRates;
