import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, equalBytes } from '../../../src/core/bytes.js';
import {
  blockRangeFor,
  DEFAULT_BLOCK_SIZE,
  decryptSegment,
  decryptSegmentRange,
  encryptedSizeFor,
  encryptSegment,
  newContentKey,
  openSegmentStream,
  sealSegmentStream,
  SegmentOpener,
  SegmentSealer,
} from '../../../src/uplink/encryption/index.js';

const small = { blockSize: 16, position: { part: 0, index: 5 } };

function expectUnauthenticated(run: () => unknown): void {
  expect(run).toThrow(expect.objectContaining({ name: 'UnauthenticatedError', message: expect.stringMatching(/^cannot decrypt: wrong passphrase or key/) }));
}

/** Splits `bytes` at the given cut points (any order, any duplicates). */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return concatBytes(...parts);
}

describe('segment content sealed in AES-256-GCM blocks', () => {
  it('round-trips any plaintext and block size, at the advertised encrypted size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (plaintext, blockSize) => {
        const key = newContentKey();
        const sealed = encryptSegment(key, plaintext, { blockSize });
        expect(sealed).toHaveLength(encryptedSizeFor(plaintext.length, blockSize));
        expect(decryptSegment(key, sealed, plaintext.length, { blockSize })).toEqual(plaintext);
      }),
    );
  });

  it('has a 64 KiB sealed block by default and authenticates even an empty segment', () => {
    expect(DEFAULT_BLOCK_SIZE + 16).toBe(64 * 1024);
    expect(encryptedSizeFor(0)).toBe(16);
    expect(encryptedSizeFor(DEFAULT_BLOCK_SIZE)).toBe(64 * 1024);
    expect(encryptedSizeFor(DEFAULT_BLOCK_SIZE + 1)).toBe(64 * 1024 + 17);
    const key = newContentKey();
    const sealed = encryptSegment(key, new Uint8Array(0));
    expect(decryptSegment(key, sealed, 0)).toEqual(new Uint8Array(0));
    expectUnauthenticated(() => decryptSegment(newContentKey(), sealed, 0));
  });

  it('streams to the same bytes as the one-shot form, however the input is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 120 }), fc.array(fc.nat(), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), async (plaintext, cutsIn, cutsOut) => {
        const key = newContentKey();
        const sealed = await collect(sealSegmentStream(key, chunked(plaintext, cutsIn), small));
        expect(sealed).toEqual(encryptSegment(key, plaintext, small));
        expect(await collect(openSegmentStream(key, chunked(sealed, cutsOut), plaintext.length, small))).toEqual(plaintext);
      }),
    );
  });

  it('seals the same bytes as ciphertext and tags apart, and never keeps a view of the caller\'s chunk', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.array(fc.nat(), { maxLength: 8 }), (plaintext, cuts) => {
        const key = newContentKey();
        const whole = new SegmentSealer(key, small);
        const parts = new SegmentSealer(key, small);
        const sealed: Uint8Array[] = [];
        const split: Uint8Array[] = [];
        for (const chunk of chunked(plaintext, cuts)) {
          const copy = chunk.slice();
          sealed.push(...whole.push(chunk));
          split.push(...parts.pushParts(copy));
          copy.fill(0xff); // a caller may reuse its chunk once push returns
        }
        sealed.push(whole.finish());
        split.push(...parts.finishParts());
        expect(concatBytes(...split)).toEqual(concatBytes(...sealed));
        expect(concatBytes(...sealed)).toEqual(encryptSegment(key, plaintext, small));
      }),
    );
  });

  it('never holds back more than one block while streaming', () => {
    const sealer = new SegmentSealer(newContentKey(), small);
    expect(sealer.push(new Uint8Array(16))).toHaveLength(0); // could still be the final block
    expect(sealer.push(new Uint8Array(40))).toHaveLength(3);
    expect(sealer.plainSize).toBe(56);
    expect(sealer.finish()).toHaveLength(8 + 16);
    expect(() => sealer.push(new Uint8Array(1))).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('decrypts any byte range from just the blocks that cover it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), fc.nat(), (plaintext, a, b) => {
        const offset = a % (plaintext.length + 1);
        const length = b % (plaintext.length - offset + 1);
        const key = newContentKey();
        const sealed = encryptSegment(key, plaintext, small);
        const r = blockRangeFor(plaintext.length, offset, length, small.blockSize);
        const covering = sealed.subarray(r.encryptedOffset, r.encryptedOffset + r.encryptedLength);
        expect(decryptSegmentRange(key, covering, plaintext.length, offset, length, small)).toEqual(plaintext.subarray(offset, offset + length));
        if (length > 0) expect(r.encryptedLength).toBeLessThanOrEqual((r.blockCount * (small.blockSize + 16)));
      }),
    );
  });

  it('fails authentication under a wrong key, or at another segment position', () => {
    const key = newContentKey();
    const plaintext = new Uint8Array(50).fill(7);
    const sealed = encryptSegment(key, plaintext, small);
    expectUnauthenticated(() => decryptSegment(newContentKey(), sealed, 50, small));
    expectUnauthenticated(() => decryptSegment(key, sealed, 50, { ...small, position: { part: 0, index: 6 } }));
    expectUnauthenticated(() => decryptSegment(key, sealed, 50, { ...small, position: { part: 1, index: 5 } }));
  });

  it('detects a flipped bit anywhere in the sealed bytes', () => {
    const key = newContentKey();
    const plaintext = new Uint8Array(40).map((_, i) => i);
    const sealed = encryptSegment(key, plaintext, small);
    fc.assert(
      fc.property(fc.nat({ max: sealed.length * 8 - 1 }), (bit) => {
        const altered = sealed.slice();
        altered[bit >> 3]! ^= 1 << (bit & 7);
        expectUnauthenticated(() => decryptSegment(key, altered, 40, small));
        const opener = new SegmentOpener(key, 40, small);
        expectUnauthenticated(() => {
          opener.push(altered);
          opener.finish();
        });
      }),
      { numRuns: 200 },
    );
  });

  it('detects blocks swapped, dropped, truncated at a block boundary or a recorded size that lies', () => {
    const key = newContentKey();
    const plaintext = new Uint8Array(48).map((_, i) => i); // three full blocks of 16
    const sealed = encryptSegment(key, plaintext, small);
    const [b0, b1, b2] = [0, 1, 2].map((i) => sealed.subarray(i * 32, (i + 1) * 32)) as [Uint8Array, Uint8Array, Uint8Array];
    expectUnauthenticated(() => decryptSegment(key, concatBytes(b1, b0, b2), 48, small));
    // Two whole blocks claimed as a 32-byte segment: the second was sealed as not final.
    expectUnauthenticated(() => decryptSegment(key, concatBytes(b0, b1), 32, small));
    expectUnauthenticated(() => decryptSegment(key, sealed.subarray(0, sealed.length - 1), 48, small));
    expectUnauthenticated(() => decryptSegment(key, sealed, 47, small));
    const opener = new SegmentOpener(key, 48, small);
    expect(opener.push(concatBytes(b0, b1))).toHaveLength(2); // released blocks are authentic...
    expectUnauthenticated(() => opener.finish()); // ...and the missing end is still caught
    const extra = new SegmentOpener(key, 48, small);
    expectUnauthenticated(() => extra.push(concatBytes(sealed, new Uint8Array(1))));
  });

  it('returns nothing from a failed decryption: the error is thrown before any plaintext', () => {
    const key = newContentKey();
    const sealed = encryptSegment(key, new Uint8Array(100).fill(1), small);
    const altered = sealed.slice();
    altered[altered.length - 1]! ^= 1; // only the last block is bad
    let result: Uint8Array | undefined;
    expectUnauthenticated(() => {
      result = decryptSegment(key, altered, 100, small);
    });
    expect(result).toBeUndefined();
  });

  it('uses a fresh random key per segment, so equal plaintexts do not look equal', () => {
    const plaintext = new Uint8Array(64);
    expect(equalBytes(encryptSegment(newContentKey(), plaintext), encryptSegment(newContentKey(), plaintext))).toBe(false);
  });

  it('refuses impossible sizes and options', () => {
    expect(() => encryptedSizeFor(-1)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => encryptSegment(newContentKey(), new Uint8Array(1), { blockSize: 0 })).toThrow(/blockSize/);
    expect(() => encryptSegment(new Uint8Array(16), new Uint8Array(1))).toThrow(/"contentKey" expected 32 bytes/);
    expect(() => blockRangeFor(10, 5, 6)).toThrow(/length/);
  });
});
