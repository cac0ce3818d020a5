/**
 * `handoff/node`: the storage node — `StorageNode`, its Piecestore service, garbage collection,
 * graceful exit and its admin endpoint. The adapters are their own entry points, so importing
 * this one loads no database driver: `handoff/node/sqlite` (`NodeDatabase`, the node's own
 * database), `handoff/node/fs` (`FsPieceStore`) and `handoff/node/postgres`.
 */
export { StorageNode, type StorageNodeOptions, type SatelliteEntry, type ExitOptions, type NodeStopped, NODE_VERSION } from './storage-node.js';
export { bandwidthPeriod, bandwidthStanding, exitBandwidthChoice, BandwidthChoiceRequiredError, type BandwidthPeriod, type BandwidthStanding } from './bandwidth.js';
export type { PieceExpiration, BandwidthUsage } from './db/records.js';
export {
  collectExpiredPieces, DEFAULT_COLLECT_BATCH_SIZE,
  type CollectExpiredPiecesOptions, type CollectResult, type PieceExpirationIndex,
} from './collector.js';
export {
  DEFAULT_READ_CHUNK_BYTES, hasTrash, readWholePiece,
  type PieceCommit, type PieceEntry, type PieceRange, type PieceReadOptions, type PieceStore, type PieceWriter, type StoredPieceHeader, type PieceTrash,
  type WholePiece,
} from '../piecestore/store.js';
export { MemoryPieceStore } from '../piecestore/memory-store.js';
export {
  PiecestoreUpload, PiecestoreDownload, PiecestoreDelete, MAX_UPLOAD_CHUNK_BYTES, DOWNLOAD_CHUNK_BYTES,
} from '../piecestore/methods.js';
export { registerPiecestore, DEFAULT_DOWNLOAD_GRACE_BYTES, type PiecestoreDeps, type PiecestoreDatabase } from '../piecestore/service.js';
export {
  RetainService, DEFAULT_RETAIN_CONFIG, retainPieces, BloomFilter, PiecestoreRetain,
  type RetainConfig, type RetainServiceOptions, type RetainPassResult,
} from '../durability/gc/index.js';
export { MemoryNodeExitStore } from '../exit/node-store/memory.js';
export {
  startNodeAdmin, NodeAdminClient, ExitProgressFeed, stillServes,
  type NodeAdminOptions, type AdminExitStatus, type AdminSatellite,
} from './admin/index.js';
export { adminAddressFile, AdminEndpointError } from '../admin/index.js';
