/**
 * A satellite's metainfo and move services on the memory transport, over any metabase store,
 * with simulated storage nodes: identities in the overlay that sign piece hashes, each also
 * listening at its address so a test can prove a move never contacted one. Objects carry real
 * encryption: segment keys wrapped with the path's content key, so a test can check which path
 * a key unwraps under.
 */
import { ManualClock } from '../../src/core/clock.js';
import { Identity } from '../../src/crypto/identity.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { metainfoConfig } from '../../src/metainfo/endpoint/config.js';
import { MemoryMetabaseStore } from '../../src/metainfo/metabase/memory.js';
import type { MetabaseStore } from '../../src/metainfo/metabase/port.js';
import type { ObjectRecord, SegmentPosition, SegmentRecord } from '../../src/metainfo/metabase/types.js';
import * as Metainfo from '../../src/metainfo/methods.js';
import { pieceSizeFor } from '../../src/metainfo/redundancy.js';
import type { ObjectInfo, SegmentUploadInfo } from '../../src/metainfo/schemas.js';
import { equalBytes } from '../../src/core/bytes.js';
import { registerMetainfo } from '../../src/metainfo/service.js';
import type { MoveConfig } from '../../src/move/config.js';
import type { MoveClientDeps } from '../../src/move/client.js';
import { registerMove } from '../../src/move/service.js';
import { signPieceHash } from '../../src/orders/piece-hash.js';
import { MemoryOverlayStore } from '../../src/overlay/store/memory.js';
import { MemoryProjectStore } from '../../src/projects/store/memory.js';
import { RpcClient, RpcServer, memoryNetwork } from '../../src/transport/index.js';
import {
  decryptMetadata, decryptSegment, encryptMetadata, encryptPath, encryptSegment, newContentKey, pathContentKey, unwrapKey, wrapKey,
} from '../../src/uplink/encryption/index.js';

export const START = Date.UTC(2026, 0, 1);
const encryption = { cipherSuite: 'handoff-enc/v1', blockSize: 65520 };
const redundancy = { algorithm: 'reed-solomon' as const, shareSize: 256, required: 4, repair: 6, success: 8, total: 10 };
const random = (n: number) => getCryptoProvider().randomBytes(n);

/** What a seeded object looks like to the test: its content keys by position, and an inline plaintext. */
export interface Seeded {
  readonly object: ObjectRecord;
  readonly contentKeys: Map<string, Uint8Array>;
  readonly plaintext?: Uint8Array;
}

const at = (p: SegmentPosition) => `${p.part}/${p.index}`;

export interface SeedOptions {
  /** Remote segments (default 1); ignored with `plaintext`. */
  readonly segments?: number;
  /** Makes one inline segment holding these bytes, really encrypted. */
  readonly plaintext?: Uint8Array;
  readonly metadata?: boolean;
  readonly expiresAt?: number;
}

/** Writes an object straight into a metabase, with real wrapped keys: `segments` remote segments, or one inline segment. */
export async function seedObject(
  where: { metabase: MetabaseStore; projectId: Uint8Array; rootKey: Uint8Array; now: number; nodes: readonly { publicKey: Uint8Array }[] },
  bucketName: string,
  path: string,
  opts: SeedOptions = {},
): Promise<Seeded> {
  const { metabase, projectId, rootKey, now, nodes } = where;
  const wrapping = pathContentKey(rootKey, bucketName, path);
  const location = { projectId, bucket: bucketName, objectKey: encryptPath(rootKey, bucketName, path) };
  const streamId = random(16);
  const contentKeys = new Map<string, Uint8Array>();
  await metabase.beginObject({ ...location, streamId, createdAt: now, expiresAt: opts.expiresAt, uploadDeadline: now + 3600_000, redundancy, encryption });
  const count = opts.plaintext ? 1 : (opts.segments ?? 1);
  for (let index = 0; index < count; index++) {
    const position = { part: 0, index };
    const contentKey = newContentKey();
    contentKeys.set(at(position), contentKey);
    const wrapped = wrapKey(wrapping, contentKey);
    const inline = opts.plaintext && encryptSegment(contentKey, opts.plaintext, { position, blockSize: encryption.blockSize });
    await metabase.commitSegment({
      ...location, streamId, position, createdAt: now, expiresAt: opts.expiresAt, ...wrapped,
      rootPieceId: inline ? new Uint8Array() : random(32),
      encryptedSize: inline ? inline.length : 1024, plainSize: opts.plaintext?.length ?? 1000,
      redundancy: inline ? undefined : redundancy,
      pieces: inline ? [] : nodes.slice(0, 8).map((n, number) => ({ number, nodeId: n.publicKey })),
      inlineData: inline,
    });
  }
  const metadata = opts.metadata ? encryptMetadata(wrapping, { contentType: 'text/plain', custom: { path } }) : undefined;
  const object = await metabase.commitObject({ ...location, streamId, committedAt: now, metadata, now, maxSegments: 1_000_000 });
  return { object, contentKeys, ...(opts.plaintext ? { plaintext: opts.plaintext } : {}) };
}

/**
 * Reads the object at `path` over RPC and checks it is `seeded`'s content: every segment key
 * unwraps under this path's content key to the original content key (and not under `oldPath`'s),
 * an inline segment decrypts to the original bytes, metadata decrypts. Returns its record.
 */
export async function expectObjectContent(
  deps: { client: Pick<RpcClient, 'call'>; header: { apiKey: string }; rootKey: Uint8Array },
  bucketName: string,
  path: string,
  seeded: Seeded,
  oldPath?: { bucket: string; path: string },
): Promise<ObjectInfo> {
  const { client, header, rootKey } = deps;
  const wrapping = pathContentKey(rootKey, bucketName, path);
  const oldWrapping = oldPath && pathContentKey(rootKey, oldPath.bucket, oldPath.path);
  const encryptedKey = encryptPath(rootKey, bucketName, path);
  const { object, segments, moreSegments } = await client.call(Metainfo.DownloadObject, { header, bucket: bucketName, encryptedKey, segmentLimit: 1000 });
  let page = segments;
  let more = moreSegments;
  let seen = 0;
  for (;;) {
    for (const segment of page) {
      const key = unwrapKey(wrapping, segment.encryptedKey, segment.encryptedKeyNonce);
      if (!equalBytes(key, seeded.contentKeys.get(at(segment.position))!)) throw new Error(`segment ${at(segment.position)} has another key`);
      if (oldWrapping && opens(oldWrapping, segment)) throw new Error(`segment ${at(segment.position)} still opens under the old path`);
      if (seeded.plaintext) {
        const plain = decryptSegment(key, segment.inlineData!, segment.plainSize, { position: segment.position, blockSize: encryption.blockSize });
        if (!equalBytes(plain, seeded.plaintext)) throw new Error('inline content differs');
      }
      seen++;
    }
    if (!more) break;
    const next = await client.call(Metainfo.DownloadSegments, {
      header, bucket: bucketName, encryptedKey, streamId: object.streamId, after: page[page.length - 1]!.position, limit: 100, withLimits: false,
    });
    page = next.segments;
    more = next.moreSegments;
  }
  if (seen !== seeded.contentKeys.size) throw new Error(`saw ${seen} segments, expected ${seeded.contentKeys.size}`);
  if (object.metadata) decryptMetadata(wrapping, object.metadata);
  return object;
}

function opens(wrapping: Uint8Array, key: { encryptedKey: Uint8Array; encryptedKeyNonce: Uint8Array }): boolean {
  try {
    unwrapKey(wrapping, key.encryptedKey, key.encryptedKeyNonce);
    return true;
  } catch {
    return false;
  }
}

export async function startMove(options: { metabase?: MetabaseStore; move?: Partial<MoveConfig>; nodes?: number } = {}) {
  const clock = new ManualClock(START);
  const net = memoryNetwork();
  const identity = Identity.generate();
  const metabase = options.metabase ?? new MemoryMetabaseStore();
  const overlay = new MemoryOverlayStore();
  const projects = new MemoryProjectStore();
  const nodes = Array.from({ length: options.nodes ?? 10 }, () => Identity.generate());
  const nodeServers: RpcServer[] = [];
  for (const [i, node] of nodes.entries()) {
    await overlay.checkIn({ id: node.publicKey, address: `node-${i}`, wallet: '0x0', freeBytes: 2 ** 40, version: 'test', at: START });
    const server = new RpcServer({ identity: node });
    await server.listen(net, `node-${i}`);
    nodeServers.push(server);
  }
  const server = new RpcServer({ identity });
  const deleted: SegmentRecord[] = [];
  const onSegmentsDeleted = (segments: readonly SegmentRecord[]) => deleted.push(...segments);
  registerMetainfo(server, { identity, metabase, overlay, projects, config: metainfoConfig(), clock, onSegmentsDeleted });
  const move = registerMove(server, { identity, metabase, projects, clock, config: options.move ?? {}, onSegmentsDeleted });
  const listener = await server.listen(net, 'satellite:0');
  const { apiKey, projectId } = await projects.createProject('test');
  const client = new RpcClient({ transport: net, address: listener.address, expectedPeer: identity.id, maxIdleConnections: 4 });
  const header = { apiKey };
  const rootKey = random(32);
  const deps: MoveClientDeps = { client, header, rootKey };
  const byNodeId = new Map(nodes.map((n) => [Buffer.from(n.publicKey).toString('hex'), n]));

  /** Frames the simulated nodes have received. */
  const nodeFrames = () => nodes.reduce((sum, _, i) => sum + net.traffic(`node-${i}`).frames, 0);

  async function bucket(name: string) {
    await client.call(Metainfo.CreateBucket, { header, name });
  }

  const seed = (bucketName: string, path: string, opts: SeedOptions = {}) => seedObject({ metabase, projectId, rootKey, now: clock.now(), nodes }, bucketName, path, opts);

  /** Uploads through the protocol, as an uplink does (the simulated nodes sign each piece hash). */
  async function upload(bucketName: string, path: string, segments: number): Promise<Seeded> {
    const wrapping = pathContentKey(rootKey, bucketName, path);
    const contentKeys = new Map<string, Uint8Array>();
    const commit = (segment: SegmentUploadInfo) => {
      const contentKey = newContentKey();
      contentKeys.set(at(segment.position), contentKey);
      const size = 4096;
      const pieceSize = pieceSizeFor(size, segment.redundancy);
      return {
        segmentUploadId: segment.segmentUploadId, ...wrapKey(wrapping, contentKey), plainSize: size - 16, encryptedSize: size,
        pieces: segment.addressedLimits.map(({ limit, pieceNumber }) => ({
          pieceNumber, nodeId: limit.storageNodeId,
          hash: signPieceHash(byNodeId.get(Buffer.from(limit.storageNodeId).toString('hex'))!, { pieceId: limit.pieceId, hash: random(32), pieceSize, timestamp: clock.now() }),
        })),
      };
    };
    const start = await client.call(Metainfo.StartStreamAndStartSegment, {
      header, bucket: bucketName, encryptedKey: encryptPath(rootKey, bucketName, path), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 4096, encryption,
    });
    let segment = start.segment;
    for (let index = 1; index < segments; index++) {
      ({ segment } = await client.call(Metainfo.CommitSegmentAndStartSegment, {
        header, streamUploadId: start.streamUploadId, commit: commit(segment), position: { part: 0, index }, maxEncryptedSegmentSize: 4096,
      }));
    }
    const metadata = encryptMetadata(wrapping, { contentType: 'text/plain' });
    await client.call(Metainfo.CommitSegmentAndCommitStream, { header, streamUploadId: start.streamUploadId, commit: commit(segment), metadata });
    const object = (await metabase.getObject({ projectId, bucket: bucketName, objectKey: encryptPath(rootKey, bucketName, path) }))!;
    return { object, contentKeys };
  }

  const expectContent = (bucketName: string, path: string, seeded: Seeded, oldPath?: { bucket: string; path: string }) =>
    expectObjectContent({ client, header, rootKey }, bucketName, path, seeded, oldPath);

  /** The latest object at a plaintext path, straight from the metabase. */
  const objectAt = (bucketName: string, path: string) => metabase.getObject({ projectId, bucket: bucketName, objectKey: encryptPath(rootKey, bucketName, path) });

  async function stop() {
    await client.close();
    await server.close();
    for (const s of nodeServers) await s.close();
  }

  return { clock, net, identity, metabase, projects, projectId, header, rootKey, deps, client, server, move, deleted, nodeFrames, bucket, seed, upload, expectContent, objectAt, stop };
}

export type MoveHarness = Awaited<ReturnType<typeof startMove>>;
