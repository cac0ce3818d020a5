/**
 * A satellite's metainfo service on the memory transport with simulated storage nodes: the
 * nodes are identities in the overlay that sign piece hashes, which is all the metainfo
 * protocol sees of them. Full-network tests live with the uplink.
 */
import { ManualClock } from '../../src/core/clock.js';
import { Identity } from '../../src/crypto/identity.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { MemoryMetabaseStore } from '../../src/metainfo/metabase/memory.js';
import { metainfoConfig, type MetainfoConfig } from '../../src/metainfo/endpoint/config.js';
import { pieceSizeFor } from '../../src/metainfo/redundancy.js';
import type { SegmentUploadInfo } from '../../src/metainfo/schemas.js';
import { registerMetainfo } from '../../src/metainfo/service.js';
import { signPieceHash } from '../../src/orders/piece-hash.js';
import { MemoryOverlayStore } from '../../src/overlay/store/memory.js';
import { MemoryProjectStore } from '../../src/projects/store/memory.js';
import { RpcClient, RpcServer, memoryNetwork } from '../../src/transport/index.js';

export const START = Date.UTC(2026, 0, 1);

export async function startMetainfo(options: { nodes?: number; config?: Partial<MetainfoConfig> } = {}) {
  const clock = new ManualClock(START);
  const net = memoryNetwork();
  const identity = Identity.generate();
  const metabase = new MemoryMetabaseStore();
  const overlay = new MemoryOverlayStore();
  const projects = new MemoryProjectStore();
  const nodes = Array.from({ length: options.nodes ?? 10 }, () => Identity.generate());
  for (const [i, node] of nodes.entries()) {
    await overlay.checkIn({ id: node.publicKey, address: `node-${i}`, wallet: '0x0', freeBytes: 2 ** 40, version: 'test', at: START });
  }
  const server = new RpcServer({ identity });
  const deleted: unknown[] = [];
  const config = metainfoConfig(options.config);
  registerMetainfo(server, { identity, metabase, overlay, projects, config, clock, onSegmentsDeleted: (s) => deleted.push(...s) });
  const listener = await server.listen(net, 'satellite:0');
  const { apiKey, projectId } = await projects.createProject('test');
  const client = new RpcClient({ transport: net, address: listener.address, expectedPeer: identity.id });
  await client.connect();
  const header = { apiKey };
  const byNodeId = new Map(nodes.map((n) => [Buffer.from(n.publicKey).toString('hex'), n]));

  /** What the nodes would answer after storing each piece: their own signed hashes. */
  function storePieces(segment: SegmentUploadInfo, encryptedSize: number, options: { forge?: boolean } = {}) {
    const pieceSize = pieceSizeFor(encryptedSize, segment.redundancy);
    return segment.addressedLimits.map(({ limit, pieceNumber }) => {
      const node = byNodeId.get(Buffer.from(limit.storageNodeId).toString('hex'))!;
      const signer = options.forge ? Identity.generate() : node;
      return {
        pieceNumber,
        nodeId: limit.storageNodeId,
        hash: signPieceHash(signer, { pieceId: limit.pieceId, hash: getCryptoProvider().randomBytes(32), pieceSize, timestamp: clock.now() }),
      };
    });
  }

  function commitOf(segment: SegmentUploadInfo, encryptedSize: number, plainSize = encryptedSize) {
    return {
      segmentUploadId: segment.segmentUploadId,
      encryptedKey: new Uint8Array(48).fill(1),
      encryptedKeyNonce: new Uint8Array(24).fill(2),
      plainSize,
      encryptedSize,
      pieces: storePieces(segment, encryptedSize),
    };
  }

  /** Frames the satellite has received so far: one per unary call once connected. */
  const frames = () => net.traffic(listener.address).frames;

  async function stop() {
    await client.close();
    await server.close();
  }

  return { clock, net, identity, metabase, overlay, projects, nodes, server, client, header, projectId, deleted, config, storePieces, commitOf, frames, stop, address: listener.address };
}

export const encryption = { cipherSuite: 'aes-256-gcm', blockSize: 65536 };
export const key = (text: string) => new TextEncoder().encode(text);
