/** `handoff/node`: the storage node, its piece stores and its database. */
export { StorageNode, type StorageNodeOptions, type SatelliteEntry, NODE_VERSION } from './storage-node.js';
export { NodeDatabase } from './db/database.js';
export * from '../piecestore/index.js';
