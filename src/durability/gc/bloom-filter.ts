/**
 * A bloom filter of piece ids, as garbage collection sends it to a storage node: "keep every
 * piece in here". A piece id is the first 32 bytes of an HMAC (orders/piece-id.ts), so it is
 * already uniformly random: two of its eight 32-bit words serve as the two base hashes of
 * enhanced double hashing, and no hash function runs at all. Which two words is chosen by the
 * filter's `seed`, so a garbage piece that is a false positive today is most likely not one in
 * the next filter.
 *
 * Encoding (version 1), big-endian:
 *
 * ```
 * u8 version = 1 | u8 hashCount (1..32) | u8 seed | u8 reserved = 0 | u32 byteLength (>= 1) | bits
 * ```
 *
 * Bit `i` is bit `i & 7` (least significant first) of byte `i >> 3`; the filter has
 * `8 × byteLength` bits. Decoding checks every field and the total length before it allocates.
 */
import { DecodeError, InvalidArgumentError } from '../../core/errors.js';
import { getCryptoProvider } from '../../crypto/select.js';

export const BLOOM_FILTER_VERSION = 1;
/** version, hash count, seed, reserved, byte length. */
export const BLOOM_FILTER_HEADER_BYTES = 8;
/** More hashes than this never pays: at 32 the optimal false-positive rate is already 2^-32. */
export const MAX_BLOOM_HASH_COUNT = 32;
/** Largest filter (bits only) built or decoded unless told otherwise: 4 MiB, about 7M pieces at 10%. */
export const DEFAULT_MAX_BLOOM_FILTER_BYTES = 4 * 1024 * 1024;

const PIECE_ID_BYTES = 32;

export interface BloomFilterOptions {
  /** How many ids will be added (0 is allowed: the filter then keeps nothing). */
  readonly expectedCount: number;
  /** The wanted false-positive rate at `expectedCount` ids, in (0, 1). */
  readonly falsePositiveRate: number;
  /**
   * The most bytes of bits (default {@link DEFAULT_MAX_BLOOM_FILTER_BYTES}). A filter that would
   * need more is capped: its false-positive rate is then higher than asked (the safe direction:
   * fewer pieces collected), never a false negative.
   */
  readonly maxBytes?: number;
  /** Chooses the id words used as hashes (0..255; default random). */
  readonly seed?: number;
}

/** The size and hash count of a filter: {@link BloomFilter.parameters}. */
export interface BloomFilterParameters {
  readonly byteLength: number;
  readonly hashCount: number;
}

/**
 * @example
 * ```ts
 * const filter = BloomFilter.create({ expectedCount: pieceIds.length, falsePositiveRate: 0.1 });
 * for (const id of pieceIds) filter.add(id);
 * const bytes = filter.encode();
 * BloomFilter.decode(bytes, { maxBytes: 8 << 20 }).has(pieceIds[0]!); // true
 * ```
 */
export class BloomFilter {
  readonly hashCount: number;
  readonly seed: number;
  readonly #bits: Uint8Array;
  readonly #bitCount: number;
  /** Indexes of the two id words used as base hashes. */
  readonly #first: number;
  readonly #second: number;

  private constructor(bits: Uint8Array, hashCount: number, seed: number) {
    this.#bits = bits;
    this.#bitCount = bits.length * 8;
    this.hashCount = hashCount;
    this.seed = seed;
    this.#first = seed & 7;
    // Never the same word twice: 56 distinct ordered pairs.
    this.#second = (this.#first + 1 + ((seed >> 3) % 7)) & 7;
  }

  /**
   * The size and hash count for `expectedCount` ids at `falsePositiveRate`: m = −n·ln p / ln²2
   * bits (at least one byte, at most `maxBytes`), k = m/n · ln 2 rounded, in [1, 32].
   */
  static parameters(options: BloomFilterOptions): BloomFilterParameters {
    const { expectedCount, falsePositiveRate } = options;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOOM_FILTER_BYTES;
    if (!Number.isSafeInteger(expectedCount) || expectedCount < 0) {
      throw new InvalidArgumentError(`"expectedCount" expected a non-negative integer, got ${expectedCount}`);
    }
    if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
      throw new InvalidArgumentError(`"falsePositiveRate" expected a number in (0, 1), got ${falsePositiveRate}`);
    }
    checkMaxBytes(maxBytes);
    const n = Math.max(1, expectedCount);
    const bits = Math.ceil((-n * Math.log(falsePositiveRate)) / (Math.LN2 * Math.LN2));
    const byteLength = Math.min(maxBytes, Math.max(1, Math.ceil(bits / 8)));
    const hashCount = Math.min(MAX_BLOOM_HASH_COUNT, Math.max(1, Math.round(((byteLength * 8) / n) * Math.LN2)));
    return { byteLength, hashCount };
  }

  /** An empty filter sized for `options` (see {@link BloomFilter.parameters}). */
  static create(options: BloomFilterOptions): BloomFilter {
    const { byteLength, hashCount } = BloomFilter.parameters(options);
    const seed = options.seed ?? getCryptoProvider().randomBytes(1)[0]!;
    if (!Number.isInteger(seed) || seed < 0 || seed > 255) throw new InvalidArgumentError(`"seed" expected an integer in [0, 255], got ${seed}`);
    return new BloomFilter(new Uint8Array(byteLength), hashCount, seed);
  }

  /**
   * Reads an encoded filter. Anything but a well-formed version-1 filter of at most `maxBytes`
   * bytes of bits is a `DecodeError` naming what is wrong, thrown before anything is allocated.
   */
  static decode(bytes: Uint8Array, options: { readonly maxBytes?: number } = {}): BloomFilter {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOOM_FILTER_BYTES;
    checkMaxBytes(maxBytes);
    if (!(bytes instanceof Uint8Array)) throw new DecodeError(`bloom filter expected bytes, got ${typeof bytes}`);
    if (bytes.length < BLOOM_FILTER_HEADER_BYTES) {
      throw new DecodeError(`bloom filter expected at least ${BLOOM_FILTER_HEADER_BYTES} bytes, got ${bytes.length}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getUint8(0);
    const hashCount = view.getUint8(1);
    const seed = view.getUint8(2);
    const reserved = view.getUint8(3);
    const byteLength = view.getUint32(4);
    if (version !== BLOOM_FILTER_VERSION) throw new DecodeError(`bloom filter version ${version} is not supported (expected ${BLOOM_FILTER_VERSION})`);
    if (hashCount < 1 || hashCount > MAX_BLOOM_HASH_COUNT) {
      throw new DecodeError(`bloom filter "hashCount" expected 1..${MAX_BLOOM_HASH_COUNT}, got ${hashCount}`);
    }
    if (reserved !== 0) throw new DecodeError(`bloom filter reserved byte expected 0, got ${reserved}`);
    if (byteLength < 1) throw new DecodeError('bloom filter "byteLength" expected at least 1, got 0');
    if (byteLength > maxBytes) throw new DecodeError(`bloom filter of ${byteLength} bytes exceeds the limit of ${maxBytes}`);
    if (bytes.length !== BLOOM_FILTER_HEADER_BYTES + byteLength) {
      throw new DecodeError(`bloom filter expected ${BLOOM_FILTER_HEADER_BYTES + byteLength} bytes for ${byteLength} bytes of bits, got ${bytes.length}`);
    }
    return new BloomFilter(bytes.slice(BLOOM_FILTER_HEADER_BYTES), hashCount, seed);
  }

  /** Bytes of bits. */
  get byteLength(): number {
    return this.#bits.length;
  }

  /** Bytes of {@link encode}'s output. */
  get encodedLength(): number {
    return BLOOM_FILTER_HEADER_BYTES + this.#bits.length;
  }

  add(pieceId: Uint8Array): void {
    const [h1, h2] = this.#baseHashes(pieceId);
    for (let i = 0; i < this.hashCount; i++) {
      const bit = this.#position(h1, h2, i);
      this.#bits[bit >>> 3]! |= 1 << (bit & 7);
    }
  }

  /** False only for an id never added; true for every added id, and for a few others (false positives). */
  has(pieceId: Uint8Array): boolean {
    const [h1, h2] = this.#baseHashes(pieceId);
    for (let i = 0; i < this.hashCount; i++) {
      const bit = this.#position(h1, h2, i);
      if ((this.#bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }

  /** The false-positive rate expected once `count` distinct ids are in: (1 − e^(−k·n/m))^k. */
  falsePositiveRateAt(count: number): number {
    return (1 - Math.exp((-this.hashCount * count) / this.#bitCount)) ** this.hashCount;
  }

  encode(): Uint8Array {
    const out = new Uint8Array(this.encodedLength);
    const view = new DataView(out.buffer);
    view.setUint8(0, BLOOM_FILTER_VERSION);
    view.setUint8(1, this.hashCount);
    view.setUint8(2, this.seed);
    view.setUint8(3, 0);
    view.setUint32(4, this.#bits.length);
    out.set(this.#bits, BLOOM_FILTER_HEADER_BYTES);
    return out;
  }

  #baseHashes(pieceId: Uint8Array): [number, number] {
    if (!(pieceId instanceof Uint8Array) || pieceId.length !== PIECE_ID_BYTES) {
      throw new InvalidArgumentError(`"pieceId" expected ${PIECE_ID_BYTES} bytes, got ${pieceId instanceof Uint8Array ? pieceId.length : typeof pieceId}`);
    }
    return [readWord(pieceId, this.#first), readWord(pieceId, this.#second)];
  }

  /** Enhanced double hashing: h1 + i·h2 + (i³ − i)/6, all below 2^38, so plain numbers are exact. */
  #position(h1: number, h2: number, i: number): number {
    return (h1 + i * h2 + (i * i * i - i) / 6) % this.#bitCount;
  }
}

/** Word `index` (0..7) of a 32-byte id, big-endian, unsigned. */
function readWord(id: Uint8Array, index: number): number {
  const at = index * 4;
  return ((id[at]! << 24) | (id[at + 1]! << 16) | (id[at + 2]! << 8) | id[at + 3]!) >>> 0;
}

/** Filters stay below 2^31 bits, so bit positions fit the 32-bit operators. */
const MAX_BYTES_LIMIT = 2 ** 28;

function checkMaxBytes(maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_BYTES_LIMIT) {
    throw new InvalidArgumentError(`"maxBytes" expected an integer in [1, 2^28], got ${maxBytes}`);
  }
}
