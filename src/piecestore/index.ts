/**
 * The storage node's piece storage and its `Piecestore` RPC service, plus the uplink's client
 * helpers for it.
 */
export {
  DEFAULT_READ_CHUNK_BYTES, readWholePiece,
  type PieceCommit, type PieceEntry, type PieceRange, type PieceReadOptions, type PieceStore, type PieceWriter, type StoredPieceHeader, type WholePiece, type ReadPieceOptions,
} from './store.js';
export { MemoryPieceStore } from './memory-store.js';
export { PieceBufferPool } from './buffer-pool.js';
export { FsPieceStore, type FsPieceStoreOptions } from './fs-store.js';
export { PIECE_FILE_MAGIC } from './piece-file.js';
export { createPieceHasher, type PieceHasher } from './hasher.js';
export {
  PiecestoreUpload, PiecestoreDownload, PiecestoreDelete,
  UploadRequest, UploadResponse, DownloadRequest, DownloadResponse, DeleteRequest, DeleteResponse,
  MAX_UPLOAD_CHUNK_BYTES, DOWNLOAD_CHUNK_BYTES,
} from './methods.js';
export { registerPiecestore, DEFAULT_DOWNLOAD_GRACE_BYTES, type PiecestoreDeps, type PiecestoreDatabase } from './service.js';
export { checkOrderLimit, burnSerial, acceptOrder, type LimitJudge, type SerialLedger } from './limit-checks.js';
export {
  uploadPiece, downloadPiece, downloadPieceWithProof, deletePiece, DEFAULT_UPLOAD_CHUNK_BYTES, DEFAULT_ORDER_AHEAD_BYTES,
  type UploadPieceOptions, type DownloadPieceOptions, type PieceProof,
} from './client.js';
