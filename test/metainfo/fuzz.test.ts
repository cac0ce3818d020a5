/**
 * Every metainfo handler faces malformed, forged and unauthorized input: each call ends in a
 * typed error (never Internal, never a crash) and leaves the metabase as it was.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../src/codec/index.js';
import { isHandoffError } from '../../src/core/errors.js';
import { METAINFO_METHODS } from '../../src/metainfo/methods.js';
import { unaryMethod } from '../../src/rpc/method.js';
import { arbitraryOf } from '../support/arbitrary.js';
import { startMetainfo } from './harness.js';

/** Sends whatever it is given: the client-side check is bypassed so the server sees raw input. */
const raw = { def: { kind: 'literal', value: null }, expected: 'anything', parse: (v: unknown) => v } as unknown as Schema<unknown>;

let sat: Awaited<ReturnType<typeof startMetainfo>>;
beforeAll(async () => {
  sat = await startMetainfo();
});
afterAll(async () => sat.stop());

async function nothingStored(): Promise<void> {
  expect(await sat.metabase.listBuckets(sat.projectId, { limit: 10 })).toEqual([]);
  expect(await sat.metabase.iterateSegments({ limit: 10 })).toEqual([]);
}

describe('metainfo handlers under hostile input', () => {
  for (const method of METAINFO_METHODS) {
    it(`${method.name}: well-formed requests with a forged API key are refused and store nothing`, async () => {
      const forged = unaryMethod(method.name, raw, raw);
      await fc.assert(
        fc.asyncProperty(arbitraryOf(method.request as Schema<Record<string, unknown>>), async (request) => {
          const outcome = await sat.client.call(forged, { ...request, header: { apiKey: 'hk1_forged' } }).then(
            () => 'ok',
            (err: unknown) => (isHandoffError(err) ? err.code : `untyped ${String(err)}`),
          );
          expect(['PermissionDenied', 'InvalidArgument']).toContain(outcome);
        }),
        { numRuns: 15 },
      );
      await nothingStored();
    });

    // A method whose whole request is the header has no malformed form once the header is valid.
    const headerOnly = (() => {
      try {
        method.request.parse({ header: { apiKey: 'x' } });
        return true;
      } catch {
        return false;
      }
    })();
    if (!headerOnly) it(`${method.name}: malformed requests with a valid API key get InvalidArgument and store nothing`, async () => {
      const loose = unaryMethod(method.name, raw, raw);
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.anything())), async (junk) => {
          const request = typeof junk === 'object' && junk !== null && !Array.isArray(junk) ? { ...junk, header: sat.header } : junk;
          const outcome = await sat.client.call(loose, request).then(
            () => 'ok',
            (err: unknown) => (isHandoffError(err) ? err.code : `untyped ${String(err)}`),
          );
          expect(outcome).toBe('InvalidArgument');
        }),
        { numRuns: 15 },
      );
      await nothingStored();
    });
  }
});
