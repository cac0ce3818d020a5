/**
 * `handoff/node/fs`: pieces kept as files on disk (node:fs), one file per piece with its header.
 * Its own entry point, so `handoff/node` can be imported where there is no file system.
 */
export { FsPieceStore, type FsPieceStoreOptions } from '../piecestore/fs-store.js';
export { PIECE_FILE_MAGIC } from '../piecestore/piece-file.js';
