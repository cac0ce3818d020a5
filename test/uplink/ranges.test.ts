/**
 * Byte ranges: for any range of an object of many segments and blocks, a ranged download is the
 * same bytes as slicing the whole, and only the stripes covering the range travel.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNetwork, type TestNetwork } from '../../src/testing/network.js';
import type { Uplink } from '../../src/uplink/index.js';
import { patterned } from './support/bytes.js';
import { FaultyPieceStore } from './support/faulty-store.js';

const SEGMENT = 10_000;
const BLOCK = 1_000;
let network: TestNetwork;
let uplink: Uplink;
const stores: FaultyPieceStore[] = [];
const data = patterned(7 * SEGMENT + 4321, 21);

beforeAll(async () => {
  network = await createTestNetwork({ wrapStorage: (inner) => stores[stores.push(new FaultyPieceStore(inner)) - 1]! });
  // Small blocks and segments, so ranges start and end inside blocks, stripes and segments.
  uplink = await network.uplink({ segmentSize: SEGMENT, blockSize: BLOCK });
  await uplink.createBucket('ranges');
  await uplink.upload('ranges', 'object', data);
});
afterAll(async () => network.close());

describe('ranged downloads', () => {
  it('return exactly the bytes of the range, wherever it starts and ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: data.length }), fc.integer({ min: 0, max: 3 * SEGMENT }), async (offset, length) => {
        const part = await uplink.download('ranges', 'object', { offset, length });
        expect(Buffer.from(part).equals(data.subarray(offset, offset + length))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('move only the stripes that cover the range, not whole pieces', async () => {
    const bytesIn = () => stores.reduce((sum, store) => sum + store.bytesRead, 0);
    let before = bytesIn();
    await uplink.download('ranges', 'object', { offset: 3 * SEGMENT, length: SEGMENT });
    const whole = bytesIn() - before;
    before = bytesIn();
    await uplink.download('ranges', 'object', { offset: 3 * SEGMENT + 10, length: 100 });
    const small = bytesIn() - before;
    expect(small).toBeLessThan(whole / 4);
  });
});
