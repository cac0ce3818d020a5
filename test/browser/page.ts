/**
 * The browser half of test/browser/uplink-in-browser.test.ts, bundled by esbuild for the browser
 * platform: only the uplink and the WebSocket transport, as an application would import them.
 */
import { equalBytes } from '../../src/core/bytes.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { webSocketTransport } from '../../src/transport/index.js';
import { kernelName } from '../../src/uplink/erasure/kernel.js';
import { Uplink } from '../../src/uplink/index.js';
import { BROWSER_OBJECT, NODE_OBJECT, storyBytes, type StoryInput, type StoryPage, type StoryReport } from './story.js';

async function keys(uplink: Uplink, bucket: string): Promise<string[]> {
  const out: string[] = [];
  for await (const item of uplink.listObjects(bucket, { recursive: true })) if (item.kind === 'object') out.push(item.key);
  return out.sort();
}

function connect(input: StoryInput): Promise<Uplink> {
  return Uplink.connect({
    transport: webSocketTransport(),
    satelliteAddress: input.satelliteAddress,
    satelliteId: input.satelliteId,
    apiKey: input.apiKey,
    passphrase: input.passphrase,
    kdf: input.kdf,
    segmentSize: input.segmentSize,
  });
}

/** Creates the bucket, uploads, lists, downloads, moves, and reads the moved object back. */
async function browserWrites(input: StoryInput): Promise<StoryReport> {
  const uplink = await connect(input);
  try {
    await uplink.createBucket(input.bucket);
    const data = storyBytes(BROWSER_OBJECT.length, BROWSER_OBJECT.seed);
    const info = await uplink.upload(input.bucket, BROWSER_OBJECT.key, data);
    const listedAfterUpload = await keys(uplink, input.bucket);
    const downloaded = await uplink.download(input.bucket, BROWSER_OBJECT.key);
    await uplink.moveObject(input.bucket, BROWSER_OBJECT.key, BROWSER_OBJECT.movedKey);
    const listedAfterMove = await keys(uplink, input.bucket);
    const moved = await uplink.download(input.bucket, BROWSER_OBJECT.movedKey);
    const oldKeyError = await uplink.download(input.bucket, BROWSER_OBJECT.key).then(() => 'none', (err: Error) => err.name);
    return {
      crypto: getCryptoProvider().name,
      erasureKernel: kernelName,
      listedAfterUpload,
      listedAfterMove,
      segments: info.segmentCount,
      downloadIdentical: equalBytes(downloaded, data),
      movedDownloadIdentical: equalBytes(moved, data),
      oldKeyError,
    };
  } finally {
    await uplink.close();
  }
}

/** Reads what a Node uplink uploaded with the same passphrase: whether it is byte-identical. */
async function browserReads(input: StoryInput): Promise<boolean> {
  const uplink = await connect(input);
  try {
    const fromNode = await uplink.download(input.bucket, NODE_OBJECT.key);
    return equalBytes(fromNode, storyBytes(NODE_OBJECT.length, NODE_OBJECT.seed));
  } finally {
    await uplink.close();
  }
}

const page: StoryPage = { browserWrites, browserReads };
(globalThis as { handoff?: StoryPage }).handoff = page;
