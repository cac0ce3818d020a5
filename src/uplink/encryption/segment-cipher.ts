/**
 * Whole-segment content encryption: a fresh random 32-byte key per segment, AES-256-GCM blocks
 * (layout in content-blocks.ts). For streaming, see segment-stream.ts; both write one format.
 */
import { expectBytes } from '../../crypto/checks.js';
import { getCryptoProvider } from '../../crypto/select.js';
import {
  BLOCK_TAG_LENGTH,
  blockCountFor,
  blockLayout,
  blockPlainLength,
  blockRangeFor,
  encryptedSizeFor,
  expectContentKey,
  expectPlainSize,
  openBlock,
  sealBlock,
  type ContentOptions,
} from './content-blocks.js';
import { KEY_LENGTH } from './derive.js';
import { malformedCiphertext } from './failures.js';
import { SegmentOpener } from './segment-stream.js';

/**
 * A fresh random content key for one segment. Never seal two different plaintexts under one
 * key: block nonces are counters, so that would reuse nonces.
 */
export function newContentKey(): Uint8Array {
  return getCryptoProvider().randomBytes(KEY_LENGTH);
}

/**
 * Encrypts one segment's plaintext; the result is {@link encryptedSizeFor}(plaintext.length) bytes.
 *
 * @example
 * ```ts
 * const contentKey = newContentKey();
 * const sealed = encryptSegment(contentKey, plaintext, { position: { part: 0, index: 3 } });
 * const wrapped = wrapKey(pathContentKey(rootKey, bucket, path), contentKey);
 * ```
 */
export function encryptSegment(contentKey: Uint8Array, plaintext: Uint8Array, options: ContentOptions = {}): Uint8Array {
  expectContentKey(contentKey);
  expectBytes(plaintext, 'plaintext');
  const layout = blockLayout(options);
  const { blockSize } = layout;
  const blocks = blockCountFor(plaintext.length, blockSize);
  const out = new Uint8Array(encryptedSizeFor(plaintext.length, blockSize));
  for (let block = 0; block < blocks; block++) {
    const start = block * blockSize;
    const sealed = sealBlock(contentKey, layout, block, block === blocks - 1, plaintext.subarray(start, start + blockSize));
    out.set(sealed, block * (blockSize + BLOCK_TAG_LENGTH));
  }
  return out;
}

/**
 * Decrypts a whole segment of `plainSize` bytes (the size recorded with the segment). Every block
 * is authenticated before anything is returned; a wrong key, an altered, reordered or truncated
 * block, or a size that does not match throws `UnauthenticatedError`.
 *
 * @example
 * ```ts
 * const contentKey = unwrapKey(pathContentKey(rootKey, bucket, path), segment.encryptedKey, segment.encryptedKeyNonce);
 * const plaintext = decryptSegment(contentKey, sealed, segment.plainSize, { position: segment.position });
 * ```
 */
export function decryptSegment(contentKey: Uint8Array, ciphertext: Uint8Array, plainSize: number, options: ContentOptions = {}): Uint8Array {
  expectContentKey(contentKey);
  expectBytes(ciphertext, 'ciphertext');
  expectPlainSize(plainSize);
  const layout = blockLayout(options);
  const { blockSize } = layout;
  const expected = encryptedSizeFor(plainSize, blockSize);
  if (ciphertext.length !== expected) {
    throw malformedCiphertext('segment content', `${ciphertext.length} bytes, expected ${expected} for ${plainSize} plaintext bytes`);
  }
  const blocks = blockCountFor(plainSize, blockSize);
  const out = new Uint8Array(plainSize);
  try {
    for (let block = 0; block < blocks; block++) {
      const start = block * (blockSize + BLOCK_TAG_LENGTH);
      const length = blockPlainLength(plainSize, blockSize, block) + BLOCK_TAG_LENGTH;
      out.set(openBlock(contentKey, layout, block, block === blocks - 1, ciphertext.subarray(start, start + length)), block * blockSize);
    }
  } catch (err) {
    out.fill(0);
    throw err;
  }
  return out;
}

/**
 * Decrypts plaintext bytes `[offset, offset + length)` of a segment from only the encrypted
 * blocks covering them: `sealedBlocks` is the encrypted segment's bytes
 * `[r.encryptedOffset, r.encryptedOffset + r.encryptedLength)` for `r = blockRangeFor(plainSize,
 * offset, length, blockSize)`. Each covering block is authenticated.
 *
 * @example
 * ```ts
 * const r = blockRangeFor(plainSize, 1_000_000, 4096);
 * const part = decryptSegmentRange(contentKey, sealed.subarray(r.encryptedOffset, r.encryptedOffset + r.encryptedLength), plainSize, 1_000_000, 4096);
 * ```
 */
export function decryptSegmentRange(
  contentKey: Uint8Array,
  sealedBlocks: Uint8Array,
  plainSize: number,
  offset: number,
  length: number,
  options: ContentOptions = {},
): Uint8Array {
  expectContentKey(contentKey);
  expectBytes(sealedBlocks, 'sealedBlocks');
  const layout = blockLayout(options);
  const range = blockRangeFor(plainSize, offset, length, layout.blockSize);
  if (sealedBlocks.length !== range.encryptedLength) {
    throw malformedCiphertext('segment content range', `${sealedBlocks.length} bytes, expected ${range.encryptedLength}`);
  }
  const out = new Uint8Array(length);
  if (length === 0) return out;
  const opener = new SegmentOpener(contentKey, plainSize, { ...layout, firstBlock: range.firstBlock, blockCount: range.blockCount });
  let written = 0;
  let skip = range.skip;
  for (const plain of opener.push(sealedBlocks)) {
    const useful = plain.subarray(skip, skip + (length - written));
    out.set(useful, written);
    written += useful.length;
    skip = 0;
    plain.fill(0);
  }
  opener.finish();
  return out;
}
