/**
 * The block layout of segment content. A segment's plaintext is cut into blocks of `blockSize`
 * bytes (the last may be shorter; an empty segment is one empty block) and each block is sealed
 * with AES-256-GCM under the segment's own random content key:
 *
 *   nonce(i) = 00 00 00 00 || uint64be(i)                              (12 bytes)
 *   ad(i)    = uint32be(part) || uint32be(index) || uint64be(i) || final (17 bytes; final = 1 on the last block)
 *   block(i) = AES-256-GCM(contentKey, nonce(i), plaintext(i), ad(i))  (plaintext + 16-byte tag)
 *
 * Counter nonces are safe because a content key seals exactly one segment, once. The index in
 * the nonce and in the associated data stops reordering; the final flag stops truncation at a
 * block boundary; the segment's position stops the satellite from swapping segments of one
 * object. Private to the encryption module except for the exported size helpers.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { expectBytes } from '../../crypto/checks.js';
import { getCryptoProvider } from '../../crypto/select.js';
import { KEY_LENGTH } from './derive.js';
import { cannotDecrypt } from './failures.js';

/** The GCM tag every block carries. */
export const BLOCK_TAG_LENGTH = 16;

/** Plaintext bytes per block by default: 65,520, so that a sealed block is exactly 64 KiB. */
export const DEFAULT_BLOCK_SIZE = 64 * 1024 - BLOCK_TAG_LENGTH;

/** The largest block size (the metainfo encryption parameters allow up to 64 MiB). */
export const MAX_BLOCK_SIZE = 64 * 1024 * 1024;

/** A segment's place in its object: multipart part number and index within the part. */
export interface SegmentPosition {
  readonly part: number;
  readonly index: number;
}

/** Options of every content encryption function. Encryptor and decryptor must agree on both. */
export interface ContentOptions {
  /** Plaintext bytes per block; default {@link DEFAULT_BLOCK_SIZE}. */
  readonly blockSize?: number;
  /**
   * The segment's position, bound into every block so a segment cannot be served in another's
   * place. Default `{ part: 0, index: 0 }`; an uplink should always pass the real position.
   */
  readonly position?: SegmentPosition;
}

/** {@link ContentOptions} checked and filled in. */
export interface BlockLayout {
  readonly blockSize: number;
  readonly position: SegmentPosition;
}

function expectCount(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`"${name}" expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Checks `options` and fills in defaults. */
export function blockLayout(options: ContentOptions = {}): BlockLayout {
  const blockSize = expectCount(options.blockSize ?? DEFAULT_BLOCK_SIZE, 'blockSize', 1, MAX_BLOCK_SIZE);
  const position = options.position ?? { part: 0, index: 0 };
  return {
    blockSize,
    position: {
      part: expectCount(position.part, 'position.part', 0, 0xffff_ffff),
      index: expectCount(position.index, 'position.index', 0, 0xffff_ffff),
    },
  };
}

/** Throws unless `key` is a 32-byte content key. */
export function expectContentKey(key: unknown): Uint8Array {
  return expectBytes(key, 'contentKey', KEY_LENGTH);
}

/** Throws unless `plainSize` is a usable size. */
export function expectPlainSize(plainSize: unknown): number {
  return expectCount(plainSize, 'plainSize', 0, Number.MAX_SAFE_INTEGER);
}

/** How many blocks `plainSize` bytes take: at least one, so an empty segment is authenticated too. */
export function blockCountFor(plainSize: number, blockSize: number): number {
  return Math.max(1, Math.ceil(plainSize / blockSize));
}

/**
 * The size of a segment of `plainSize` bytes once encrypted: one 16-byte tag per block.
 *
 * @example
 * ```ts
 * encryptedSizeFor(0);              // 16 (one empty, authenticated block)
 * encryptedSizeFor(100_000);        // 100_032 (two blocks)
 * encryptedSizeFor(10, 4);          // 22 (three blocks of at most 4 bytes)
 * ```
 */
export function encryptedSizeFor(plainSize: number, blockSize: number = DEFAULT_BLOCK_SIZE): number {
  expectPlainSize(plainSize);
  expectCount(blockSize, 'blockSize', 1, MAX_BLOCK_SIZE);
  return plainSize + BLOCK_TAG_LENGTH * blockCountFor(plainSize, blockSize);
}

/** Plaintext bytes in block `block` of a segment of `plainSize` bytes. */
export function blockPlainLength(plainSize: number, blockSize: number, block: number): number {
  return Math.max(0, Math.min(blockSize, plainSize - block * blockSize));
}

function nonceFor(block: number): Uint8Array {
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  view.setUint32(4, Math.floor(block / 0x1_0000_0000));
  view.setUint32(8, block >>> 0);
  return nonce;
}

function associatedDataFor(layout: BlockLayout, block: number, final: boolean): Uint8Array {
  const ad = new Uint8Array(17);
  const view = new DataView(ad.buffer);
  view.setUint32(0, layout.position.part);
  view.setUint32(4, layout.position.index);
  view.setUint32(8, Math.floor(block / 0x1_0000_0000));
  view.setUint32(12, block >>> 0);
  ad[16] = final ? 1 : 0;
  return ad;
}

/** Seals block number `block`. */
export function sealBlock(contentKey: Uint8Array, layout: BlockLayout, block: number, final: boolean, plaintext: Uint8Array): Uint8Array {
  return getCryptoProvider().aeadSeal('aes-256-gcm', contentKey, nonceFor(block), plaintext, associatedDataFor(layout, block, final));
}

/** {@link sealBlock} as the ciphertext and its tag apart (no copy joins them). */
export function sealBlockParts(contentKey: Uint8Array, layout: BlockLayout, block: number, final: boolean, plaintext: Uint8Array): [ciphertext: Uint8Array, tag: Uint8Array] {
  const provider = getCryptoProvider();
  const nonce = nonceFor(block);
  const ad = associatedDataFor(layout, block, final);
  if (provider.aeadSealParts !== undefined) return provider.aeadSealParts('aes-256-gcm', contentKey, nonce, plaintext, ad);
  const sealed = provider.aeadSeal('aes-256-gcm', contentKey, nonce, plaintext, ad);
  return [sealed.subarray(0, plaintext.length), sealed.subarray(plaintext.length)];
}

/** Opens block number `block`; throws `UnauthenticatedError` unless it authenticates. */
export function openBlock(contentKey: Uint8Array, layout: BlockLayout, block: number, final: boolean, sealed: Uint8Array): Uint8Array {
  try {
    return getCryptoProvider().aeadOpen('aes-256-gcm', contentKey, nonceFor(block), sealed, associatedDataFor(layout, block, final));
  } catch (err) {
    throw cannotDecrypt(`segment content block ${block}`, err);
  }
}

/** Where a plaintext byte range lives in a segment's encrypted bytes. */
export interface BlockRange {
  /** First block covering the range. */
  readonly firstBlock: number;
  /** Number of blocks covering the range (0 for an empty range). */
  readonly blockCount: number;
  /** Offset of the first covering block in the encrypted segment. */
  readonly encryptedOffset: number;
  /** Encrypted bytes of the covering blocks: fetch `[encryptedOffset, encryptedOffset + encryptedLength)`. */
  readonly encryptedLength: number;
  /** Plaintext bytes to drop from the start of the first block. */
  readonly skip: number;
}

/**
 * The whole blocks covering plaintext bytes `[offset, offset + length)` of a segment of
 * `plainSize` bytes, so a ranged download fetches only those encrypted bytes.
 *
 * @example
 * ```ts
 * const r = blockRangeFor(segment.plainSize, 70_000, 100);
 * const sealed = await fetchEncrypted(r.encryptedOffset, r.encryptedLength);
 * const bytes = decryptSegmentRange(contentKey, sealed, segment.plainSize, 70_000, 100);
 * ```
 */
export function blockRangeFor(plainSize: number, offset: number, length: number, blockSize: number = DEFAULT_BLOCK_SIZE): BlockRange {
  expectPlainSize(plainSize);
  expectCount(blockSize, 'blockSize', 1, MAX_BLOCK_SIZE);
  expectCount(offset, 'offset', 0, plainSize);
  expectCount(length, 'length', 0, plainSize - offset);
  const sealedBlock = blockSize + BLOCK_TAG_LENGTH;
  if (length === 0) return { firstBlock: Math.floor(offset / blockSize), blockCount: 0, encryptedOffset: 0, encryptedLength: 0, skip: 0 };
  const firstBlock = Math.floor(offset / blockSize);
  const lastBlock = Math.floor((offset + length - 1) / blockSize);
  const encryptedEnd = Math.min(encryptedSizeFor(plainSize, blockSize), (lastBlock + 1) * sealedBlock);
  return {
    firstBlock,
    blockCount: lastBlock - firstBlock + 1,
    encryptedOffset: firstBlock * sealedBlock,
    encryptedLength: encryptedEnd - firstBlock * sealedBlock,
    skip: offset - firstBlock * blockSize,
  };
}
