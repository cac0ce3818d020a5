/** Issuing order limits: PUT limits for a new segment, GET limits for a download. */
import { InvalidArgumentError, UnavailableError } from '../../core/errors.js';
import { getCryptoProvider } from '../../crypto/select.js';
import { signOrderLimit, type PieceAction } from '../../orders/order-limit.js';
import { derivePieceId } from '../../orders/piece-id.js';
import { signPieceLimit } from '../../orders/piece-limit.js';
import { generatePieceKey } from '../../orders/piece-key.js';
import type { SegmentPosition, SegmentRecord } from '../metabase/types.js';
import { pieceSizeFor } from '../redundancy.js';
import type { SegmentDownloadInfo, SegmentUploadInfo } from '../schemas.js';
import type { StreamUpload } from '../upload-id.js';
import type { MetainfoContext } from './context.js';

/** Selects nodes for a new segment and signs a PUT limit for each: piece number i goes to the i-th node. */
export async function beginSegment(ctx: MetainfoContext, stream: StreamUpload, position: SegmentPosition, maxEncryptedSize: number): Promise<SegmentUploadInfo> {
  const { config, deps } = ctx;
  if (maxEncryptedSize > config.maxSegmentSize) {
    throw new InvalidArgumentError(`"maxEncryptedSegmentSize" is ${maxEncryptedSize}, over the limit of ${config.maxSegmentSize}`);
  }
  const now = ctx.now();
  const redundancy = stream.redundancy;
  const maxPieceSize = pieceSizeFor(maxEncryptedSize, redundancy);
  const nodes = await deps.overlay.selectForUpload({ count: redundancy.total, minFreeBytes: maxPieceSize, onlineWindowMs: config.onlineWindowMs, now });
  if (nodes.length < redundancy.success) {
    throw new UnavailableError(`not enough storage nodes: a segment needs ${redundancy.success}, ${nodes.length} are available`);
  }
  const random = getCryptoProvider();
  const rootPieceId = random.randomBytes(32);
  const pieceKey = generatePieceKey();
  const satelliteId = deps.identity.publicKey;
  const orderExpiration = Math.min(now + config.orderTtlMs, stream.uploadDeadline);
  const addressedLimits = nodes.map((node, pieceNumber) => ({
    pieceNumber,
    address: node.address,
    limit: signOrderLimit(deps.identity, {
      serialNumber: random.randomBytes(16),
      satelliteId,
      storageNodeId: node.id,
      pieceId: derivePieceId(rootPieceId, node.id, pieceNumber),
      action: 'PUT',
      limitBytes: maxPieceSize,
      ...(stream.expiresAt === undefined ? {} : { pieceExpiration: stream.expiresAt }),
      orderExpiration,
      piecePublicKey: pieceKey.publicKey,
      createdAt: now,
    }),
  }));
  const segmentUploadId = ctx.sealer.sealSegment({
    streamId: stream.streamId,
    position,
    rootPieceId,
    piecePublicKey: pieceKey.publicKey,
    createdAt: now,
    maxEncryptedSize,
    limits: nodes.map((node, pieceNumber) => ({ nodeId: node.id, pieceNumber })),
  });
  return { segmentUploadId, position, rootPieceId, piecePrivateKey: pieceKey.privateKey, addressedLimits, redundancy, maxPieceSize };
}

/** A segment as a downloader sees it, with signed GET limits for its pieces on reachable nodes when asked. */
export async function segmentDownloadInfo(ctx: MetainfoContext, segment: SegmentRecord, withLimits: boolean, action: PieceAction = 'GET'): Promise<SegmentDownloadInfo> {
  const base: SegmentDownloadInfo = {
    position: segment.position,
    plainOffset: segment.plainOffset,
    plainSize: segment.plainSize,
    encryptedSize: segment.encryptedSize,
    encryptedKey: segment.encryptedKey,
    encryptedKeyNonce: segment.encryptedKeyNonce,
  };
  if (segment.inlineData !== undefined) return { ...base, inlineData: segment.inlineData };
  const redundancy = segment.redundancy!;
  const pieceSize = pieceSizeFor(segment.encryptedSize, redundancy);
  const remote = { ...base, redundancy, rootPieceId: segment.rootPieceId, pieceSize };
  if (!withLimits) return remote;
  const { deps, config } = ctx;
  const now = ctx.now();
  const reachable = await deps.overlay.getReachable(segment.pieces.map((p) => p.nodeId), now, config.onlineWindowMs);
  const byId = new Map(reachable.map((n) => [Buffer.from(n.id).toString('hex'), n]));
  const pieceKey = generatePieceKey();
  const limits = [];
  for (const piece of segment.pieces) {
    const node = byId.get(Buffer.from(piece.nodeId).toString('hex'));
    if (!node) continue;
    limits.push({
      pieceNumber: piece.number,
      address: node.address,
      limit: signPieceLimit(deps.identity, {
        action,
        nodeId: node.id,
        pieceId: derivePieceId(segment.rootPieceId, node.id, piece.number),
        limitBytes: pieceSize,
        piecePublicKey: pieceKey.publicKey,
      }, now, config.orderTtlMs),
    });
  }
  return { ...remote, limits, piecePrivateKey: pieceKey.privateKey };
}
