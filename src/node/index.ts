/** `handoff/node`: the storage node, its piece stores and its database. */
export { StorageNode, type StorageNodeOptions, type SatelliteEntry, type ExitOptions, type NodeStopped, NODE_VERSION } from './storage-node.js';
export { bandwidthPeriod, bandwidthStanding, exitBandwidthChoice, BandwidthChoiceRequiredError, type BandwidthPeriod, type BandwidthStanding } from './bandwidth.js';
export { NodeDatabase, type PieceExpiration, type BandwidthUsage } from './db/database.js';
export {
  collectExpiredPieces, DEFAULT_COLLECT_BATCH_SIZE,
  type CollectExpiredPiecesOptions, type CollectResult, type PieceExpirationIndex,
} from './collector.js';
export * from '../piecestore/index.js';
export { hasTrash, type PieceTrash } from '../piecestore/store.js';
export {
  RetainService, DEFAULT_RETAIN_CONFIG, retainPieces, BloomFilter, PiecestoreRetain,
  type RetainConfig, type RetainServiceOptions, type RetainPassResult,
} from '../durability/gc/index.js';
export { SqliteNodeExitStore, PostgresNodeExitStore, MemoryNodeExitStore } from '../exit/node-store/index.js';
export {
  startNodeAdmin, NodeAdminClient, ExitProgressFeed, stillServes,
  type NodeAdminOptions, type AdminExitStatus, type AdminSatellite,
} from './admin/index.js';
export { adminAddressFile, AdminEndpointError } from '../admin/index.js';
