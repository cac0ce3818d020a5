/**
 * Systematic Reed–Solomon erasure coding over GF(2^8): a segment becomes `n` pieces, any `k` of
 * which rebuild it. TypeScript with no platform imports; the hot loop runs as WebAssembly SIMD
 * (written out by simd-module.ts) where the engine has it. See docs/erasure-coding.md.
 */
export { createErasureCoder, type DecodeOptions, type DecodeStripesOptions, type ErasureCoder } from './coder.js';
export { CorruptPieceError, pieceHash, verifyPiece, type PieceCheck } from './corruption.js';
export type { PieceInput } from './pieces.js';
export type { EncodeStreamOptions, SegmentDecoder, StreamOptions } from './stream.js';
export { gfDiv, gfInv, gfMul, gfPow } from './gf256.js';
