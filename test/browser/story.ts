/** What the browser page and the test share: the objects' bytes and the page's report. */

/** `length` bytes from a small xorshift generator: the same on both sides of the test, and not compressible. */
export function storyBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Larger than three of the test network's 64 KiB segments, and not a multiple of one. */
export const BROWSER_OBJECT = { key: 'from-browser/data.bin', movedKey: 'moved/data.bin', length: 3 * 64 * 1024 + 12_345, seed: 14 } as const;
/** What a Node uplink writes for the page to read. */
export const NODE_OBJECT = { key: 'from-node/data.bin', length: 2 * 64 * 1024 + 777, seed: 41 } as const;

/** What the page is given. */
export interface StoryInput {
  readonly satelliteAddress: string;
  readonly satelliteId: string;
  readonly apiKey: string;
  readonly passphrase: string;
  readonly kdf: { readonly memoryKiB: number; readonly iterations: number; readonly parallelism: number };
  readonly segmentSize: number;
  readonly bucket: string;
}

/** What the page reports back. */
export interface StoryReport {
  readonly crypto: string;
  readonly erasureKernel: string;
  /** Keys listed after the upload, and after the move. */
  readonly listedAfterUpload: string[];
  readonly listedAfterMove: string[];
  readonly segments: number;
  readonly downloadIdentical: boolean;
  readonly movedDownloadIdentical: boolean;
  /** What reading the old key after the move failed with (`none` if it did not). */
  readonly oldKeyError: string;
}

/** What the page puts on `globalThis.handoff`. */
export interface StoryPage {
  browserWrites(input: StoryInput): Promise<StoryReport>;
  browserReads(input: StoryInput): Promise<boolean>;
}
