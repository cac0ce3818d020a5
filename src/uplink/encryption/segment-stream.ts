/**
 * Segment content encrypted and decrypted block by block, so an uplink holds at most one block
 * (plus whatever it chooses to buffer) instead of a whole segment or object. Same format as
 * {@link encryptSegment}: the layout is in content-blocks.ts.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { expectBytes } from '../../crypto/checks.js';
import {
  BLOCK_TAG_LENGTH,
  blockCountFor,
  blockLayout,
  blockPlainLength,
  expectContentKey,
  expectPlainSize,
  openBlock,
  sealBlock,
  sealBlockParts,
  type BlockLayout,
  type ContentOptions,
} from './content-blocks.js';
import { wipe } from './derive.js';
import { malformedCiphertext } from './failures.js';

/**
 * Encrypts one segment incrementally. `push` returns the sealed blocks completed so far; the
 * last block is held back until `finish`, because only then is it known to be the final one.
 * One sealer seals one segment: it refuses input after `finish`, and it wipes its copy of the key.
 *
 * @example
 * ```ts
 * const sealer = new SegmentSealer(contentKey, { position });
 * for await (const chunk of source) for (const block of sealer.push(chunk)) send(block);
 * send(sealer.finish());
 * ```
 */
export class SegmentSealer {
  readonly #key: Uint8Array;
  readonly #layout: BlockLayout;
  readonly #block: Uint8Array;
  #filled = 0;
  #index = 0;
  #plainSize = 0;
  #finished = false;

  constructor(contentKey: Uint8Array, options: ContentOptions = {}) {
    this.#key = expectContentKey(contentKey).slice();
    this.#layout = blockLayout(options);
    this.#block = new Uint8Array(this.#layout.blockSize);
  }

  /** Plaintext bytes pushed so far. */
  get plainSize(): number {
    return this.#plainSize;
  }

  /** Adds plaintext; returns every block that is now known not to be the last one, sealed. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#push(chunk, (block, final, plaintext) => out.push(sealBlock(this.#key, this.#layout, block, final, plaintext)));
    return out;
  }

  /**
   * {@link push}, with each sealed block returned as two arrays, its ciphertext and then its
   * tag: the same bytes in the same order, without the copy that joins them. For a caller that
   * copies the bytes on anyway (the erasure encoder spreads them into pieces).
   */
  pushParts(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#push(chunk, (block, final, plaintext) => out.push(...sealBlockParts(this.#key, this.#layout, block, final, plaintext)));
    return out;
  }

  /**
   * Seals every block of `chunk` known not to be the last. A whole block with more bytes after
   * it in `chunk` is sealed where it lies; only the bytes that may end the segment are copied
   * into the held-back block.
   */
  #push(chunk: Uint8Array, seal: (block: number, final: boolean, plaintext: Uint8Array) => void): void {
    if (this.#finished) throw new InvalidArgumentError('SegmentSealer: push after finish (a content key seals one segment only)');
    expectBytes(chunk, 'chunk');
    const { blockSize } = this.#layout;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#filled === blockSize) {
        seal(this.#index++, false, this.#block);
        this.#filled = 0;
      }
      if (this.#filled === 0 && chunk.length - offset > blockSize) {
        seal(this.#index++, false, chunk.subarray(offset, offset + blockSize));
        offset += blockSize;
        continue;
      }
      const n = Math.min(blockSize - this.#filled, chunk.length - offset);
      this.#block.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
    }
    this.#plainSize += chunk.length;
  }

  /** Seals and returns the final block (empty plaintext if nothing was pushed). */
  finish(): Uint8Array {
    return this.#finish(sealBlock);
  }

  /** {@link finish} as the final block's ciphertext and tag apart (see {@link pushParts}). */
  finishParts(): [ciphertext: Uint8Array, tag: Uint8Array] {
    return this.#finish(sealBlockParts);
  }

  #finish<T>(seal: (key: Uint8Array, layout: BlockLayout, block: number, final: boolean, plaintext: Uint8Array) => T): T {
    if (this.#finished) throw new InvalidArgumentError('SegmentSealer: finish called twice');
    this.#finished = true;
    const last = seal(this.#key, this.#layout, this.#index++, true, this.#block.subarray(0, this.#filled));
    wipe(this.#key);
    this.#block.fill(0);
    return last;
  }
}

/** Options of {@link SegmentOpener}: the content options plus which blocks arrive. */
export interface SegmentOpenerOptions extends ContentOptions {
  /** Index of the first block that will be pushed (for a byte range); default 0. */
  readonly firstBlock?: number;
  /** How many blocks will be pushed; default every block from `firstBlock` to the end. */
  readonly blockCount?: number;
}

/**
 * Decrypts one segment (or a run of its blocks) incrementally. `push` returns the plaintext of
 * every block completed, each authenticated before it is returned; `finish` throws unless every
 * expected block arrived and nothing else did, which catches truncation.
 *
 * @example
 * ```ts
 * const opener = new SegmentOpener(contentKey, segment.plainSize, { position });
 * for await (const chunk of pieces) for (const plain of opener.push(chunk)) write(plain);
 * opener.finish();
 * ```
 */
export class SegmentOpener {
  readonly #key: Uint8Array;
  readonly #layout: BlockLayout;
  readonly #plainSize: number;
  readonly #lastBlock: number;
  readonly #endBlock: number;
  readonly #buffer: Uint8Array;
  #next: number;
  #filled = 0;
  #finished = false;

  constructor(contentKey: Uint8Array, plainSize: number, options: SegmentOpenerOptions = {}) {
    this.#key = expectContentKey(contentKey).slice();
    this.#layout = blockLayout(options);
    this.#plainSize = expectPlainSize(plainSize);
    const total = blockCountFor(this.#plainSize, this.#layout.blockSize);
    const firstBlock = options.firstBlock ?? 0;
    if (!Number.isSafeInteger(firstBlock) || firstBlock < 0 || firstBlock > total) {
      throw new InvalidArgumentError(`"firstBlock" expected an integer from 0 to ${total}, got ${String(firstBlock)}`);
    }
    const blockCount = options.blockCount ?? total - firstBlock;
    if (!Number.isSafeInteger(blockCount) || blockCount < 0 || firstBlock + blockCount > total) {
      throw new InvalidArgumentError(`"blockCount" expected an integer from 0 to ${total - firstBlock}, got ${String(blockCount)}`);
    }
    this.#lastBlock = total - 1;
    this.#next = firstBlock;
    this.#endBlock = firstBlock + blockCount;
    this.#buffer = new Uint8Array(this.#layout.blockSize + BLOCK_TAG_LENGTH);
  }

  #expectedSealedLength(): number {
    return blockPlainLength(this.#plainSize, this.#layout.blockSize, this.#next) + BLOCK_TAG_LENGTH;
  }

  #open(sealed: Uint8Array): Uint8Array {
    const block = this.#next++;
    return openBlock(this.#key, this.#layout, block, block === this.#lastBlock, sealed);
  }

  /** Adds encrypted bytes; returns the plaintext of every block they complete. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#finished) throw new InvalidArgumentError('SegmentOpener: push after finish');
    expectBytes(chunk, 'chunk');
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#next >= this.#endBlock) throw malformedCiphertext('segment content', 'bytes after the last expected block');
      const need = this.#expectedSealedLength();
      if (this.#filled === 0 && chunk.length - offset >= need) {
        // A whole block in the chunk: open it in place, no copy.
        out.push(this.#open(chunk.subarray(offset, offset + need)));
        offset += need;
        continue;
      }
      const n = Math.min(need - this.#filled, chunk.length - offset);
      this.#buffer.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === need) {
        out.push(this.#open(this.#buffer.subarray(0, need)));
        this.#filled = 0;
      }
    }
    return out;
  }

  /** Throws `UnauthenticatedError` unless every expected block was pushed; wipes the key. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    wipe(this.#key);
    if (this.#next < this.#endBlock || this.#filled > 0) {
      throw malformedCiphertext('segment content', `truncated: block ${this.#next} of ${this.#endBlock} is missing or incomplete`);
    }
  }
}

/**
 * Encrypts a stream of plaintext chunks into sealed blocks (see {@link SegmentSealer}).
 *
 * @example
 * ```ts
 * for await (const block of sealSegmentStream(contentKey, readable, { position })) await send(block);
 * ```
 */
export async function* sealSegmentStream(
  contentKey: Uint8Array,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ContentOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const sealer = new SegmentSealer(contentKey, options);
  for await (const chunk of source) yield* sealer.push(chunk);
  yield sealer.finish();
}

/**
 * Decrypts a stream of encrypted bytes into plaintext blocks (see {@link SegmentOpener}); ends
 * with `UnauthenticatedError` if the stream is altered, reordered or cut short.
 *
 * @example
 * ```ts
 * for await (const plain of openSegmentStream(contentKey, download, plainSize, { position })) write(plain);
 * ```
 */
export async function* openSegmentStream(
  contentKey: Uint8Array,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  plainSize: number,
  options: SegmentOpenerOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const opener = new SegmentOpener(contentKey, plainSize, options);
  for await (const chunk of source) yield* opener.push(chunk);
  opener.finish();
}
