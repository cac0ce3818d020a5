/**
 * Whatever a client sends — random values, random bytes, well-formed messages with random
 * contents, an honest limit followed by junk — the Piecestore service answers with a typed
 * error (never an internal one), stores nothing, and keeps serving honest uplinks.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, type Schema } from '../../src/codec/index.js';
import { isHandoffError } from '../../src/core/errors.js';
import { uploadPiece } from '../../src/piecestore/client.js';
import { DeleteRequest, DownloadRequest, UploadRequest } from '../../src/piecestore/methods.js';
import { streamMethod, unaryMethod } from '../../src/transport/index.js';
import { arbitraryOf } from '../support/arbitrary.js';
import { pieceData, startWorld, type World } from './support/world.js';

/** Lets any value through the client's own schema check, so the node sees it as sent. */
const anything = { def: { kind: 'bool' }, expected: 'anything', parse: (value: unknown) => value } as Schema<unknown>;
const RawUpload = streamMethod('Piecestore.Upload', anything, anything);
const RawDownload = streamMethod('Piecestore.Download', anything, anything);
const RawDelete = unaryMethod('Piecestore.Delete', anything, anything);

const junk = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.uint8Array({ maxLength: 64 }),
  fc.record({ type: fc.constantFrom('limit', 'chunk', 'done', 'request', 'order'), data: fc.uint8Array({ maxLength: 32 }) }),
);

function encodable(values: unknown[]): boolean {
  try {
    for (const value of values) encode(value);
    return true;
  } catch {
    return false;
  }
}

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});

/** Sends `messages` on a raw stream and returns how the node ended it. */
async function outcome(method: typeof RawUpload, messages: unknown[]): Promise<unknown> {
  const stream = await world.client.stream(method);
  try {
    for (const message of messages) await stream.send(message);
    await stream.closeSend();
  } catch {
    // The node may have ended the stream early; its answer says why.
  }
  try {
    while ((await stream.receive()) !== undefined);
    return 'ended';
  } catch (err) {
    return err;
  }
}

function expectTypedRefusal(result: unknown): void {
  expect(isHandoffError(result)).toBe(true);
  expect((result as { code: string }).code).not.toBe('Internal');
}

describe('Piecestore facing malformed messages', () => {
  it('Upload: any sequence of messages gets a typed error and stores nothing', async () => {
    const message = fc.oneof(junk, arbitraryOf(UploadRequest));
    const honestLimit = fc.boolean();
    await fc.assert(
      fc.asyncProperty(honestLimit, fc.array(message, { maxLength: 5 }), async (startHonestly, rest) => {
        fc.pre(encodable(rest));
        const messages = startHonestly ? [{ type: 'limit', limit: world.limit().limit }, ...rest] : rest;
        expectTypedRefusal(await outcome(RawUpload, messages));
        expect(world.pieces.usedBytes()).toBe(0);
      }),
      { numRuns: 120 },
    );
  });

  it('Download: any sequence of messages gets a typed error', async () => {
    const message = fc.oneof(junk, arbitraryOf(DownloadRequest));
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 5 }), async (messages) => {
        fc.pre(encodable(messages));
        expectTypedRefusal(await outcome(RawDownload, messages));
      }),
      { numRuns: 100 },
    );
  });

  it('Delete: any request gets a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(junk, arbitraryOf(DeleteRequest)), async (request) => {
        fc.pre(encodable([request]));
        let result: unknown = 'resolved';
        await world.client.call(RawDelete, request).catch((err: unknown) => (result = err));
        expectTypedRefusal(result);
      }),
      { numRuns: 100 },
    );
  });

  it('still serves an honest uplink afterwards', async () => {
    const { limit, pieceKey } = world.limit();
    expect((await uploadPiece(world.client, { limit, pieceKey, data: pieceData(5000) })).pieceSize).toBe(5000);
  });
});
