/**
 * Every move handler faces malformed, forged and unauthorized input: each call ends in a typed
 * error (never Internal, never a crash) and leaves the metabase as it was.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../src/codec/index.js';
import { isHandoffError } from '../../src/core/errors.js';
import { packSegmentKeys } from '../../src/move/key-page.js';
import * as M from '../../src/move/methods.js';
import { MOVE_METHODS } from '../../src/move/methods.js';
import { rekeyObject } from '../../src/uplink/encryption/index.js';
import { unaryMethod } from '../../src/rpc/method.js';
import { arbitraryOf } from '../support/arbitrary.js';
import { startMove, type MoveHarness } from './harness.js';

/** Sends whatever it is given: the client-side check is bypassed so the server sees raw input. */
const raw = { def: { kind: 'literal', value: null }, expected: 'anything', parse: (v: unknown) => v } as unknown as Schema<unknown>;

let sat: MoveHarness;
let before: unknown;
beforeAll(async () => {
  sat = await startMove();
  await sat.bucket('photos');
  await sat.seed('photos', 'a.txt', { segments: 3, metadata: true });
  before = await state();
});
afterAll(async () => sat.stop());

async function state() {
  return {
    segments: await sat.metabase.iterateSegments({ limit: 100 }),
    objects: await sat.metabase.listObjects({ projectId: sat.projectId, bucket: 'photos', prefix: new Uint8Array(), recursive: true, limit: 100, allVersions: true, includePending: true }),
  };
}

const segmentKey = fc.record({
  position: fc.record({ part: fc.integer({ min: 0, max: 3 }), index: fc.integer({ min: 0, max: 5 }) }),
  encryptedKey: fc.uint8Array({ minLength: 1, maxLength: 256 }),
  encryptedKeyNonce: fc.uint8Array({ minLength: 1, maxLength: 32 }),
});

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (err: unknown) => (isHandoffError(err) ? err.code : `untyped ${String(err)}`),
  );

describe('move handlers under hostile input', () => {
  for (const method of MOVE_METHODS) {
    const loose = unaryMethod(method.name, raw, raw);

    it(`${method.name}: well-formed requests with a forged API key are refused`, async () => {
      await fc.assert(
        fc.asyncProperty(arbitraryOf(method.request as Schema<Record<string, unknown>>), async (request) => {
          expect(['PermissionDenied', 'InvalidArgument']).toContain(await outcome(sat.client.call(loose, { ...request, header: { apiKey: 'hk1_forged' } })));
        }),
        { numRuns: 15 },
      );
      expect(await state()).toEqual(before);
    });

    it(`${method.name}: malformed requests with a valid API key get InvalidArgument`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.anything())), async (junk) => {
          const request = typeof junk === 'object' && junk !== null && !Array.isArray(junk) ? { ...junk, header: sat.header } : junk;
          expect(await outcome(sat.client.call(loose, request))).toBe('InvalidArgument');
        }),
        { numRuns: 15 },
      );
      expect(await state()).toEqual(before);
    });

    it(`${method.name}: well-formed random requests with a valid API key get a typed refusal and change nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(arbitraryOf(method.request as Schema<Record<string, unknown>>), async (request) => {
          // Random bucket names and keys name nothing; random tokens and operation ids are not ours.
          const result = await outcome(sat.client.call(loose, { ...request, header: sat.header }));
          expect(['InvalidArgument', 'NotFound', 'FailedPrecondition', 'AlreadyExists']).toContain(result);
        }),
        { numRuns: 25 },
      );
      expect(await state()).toEqual(before);
    });
  }

  it('a genuine move token with keys that do not cover the object exactly is refused and changes nothing', async () => {
    const rekey = rekeyObject(sat.rootKey, { bucket: 'photos', path: 'a.txt' }, { bucket: 'photos', path: 'b.txt' });
    const { moveToken, metadataKey } = await sat.client.call(M.BeginMoveObject, {
      header: sat.header, bucket: 'photos', encryptedKey: rekey.oldEncryptedKey, newEncryptedKey: rekey.newEncryptedKey,
    });
    // Three distinct keys at 0/0, 0/1 and 0/2 would be an honest finish (the satellite cannot tell garbage keys).
    const exactCover = (keys: { position: { part: number; index: number } }[]) =>
      keys.length === 3 && keys.every((k) => k.position.part === 0 && k.position.index <= 2) && new Set(keys.map((k) => k.position.index)).size === 3;
    await fc.assert(
      fc.asyncProperty(fc.array(segmentKey, { maxLength: 5 }).filter((keys) => !exactCover(keys)), async (keys) => {
        const result = await outcome(sat.client.call(M.FinishMoveObject, { header: sat.header, moveToken, metadataKey: metadataKey!, segmentKeys: packSegmentKeys(keys) }));
        expect(result).toBe('InvalidArgument');
      }),
      { numRuns: 40 },
    );
    expect(await state()).toEqual(before);
  });
});
