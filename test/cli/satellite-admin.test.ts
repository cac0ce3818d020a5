/**
 * The satellite admin calls behind `handoff satellite projects|keys|nodes`, on a real admin
 * endpoint: they do what the commands promise, and any request — malformed, oversized, forged —
 * ends in a typed error or a well-formed answer, never a crash or an `Internal`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAddressFile } from '../../src/admin/address-file.js';
import { adminClient } from '../../src/admin/client.js';
import type { AdminEndpoint } from '../../src/admin/endpoint.js';
import type { Schema } from '../../src/codec/index.js';
import { isHandoffError } from '../../src/core/errors.js';
import { apiKeyId } from '../../src/projects/api-key.js';
import type { RpcClient } from '../../src/rpc/client.js';
import { unaryMethod } from '../../src/rpc/method.js';
import {
  SatelliteAdminApiKeys,
  SatelliteAdminClient,
  SatelliteAdminCreateApiKey,
  SatelliteAdminCreateProject,
  SatelliteAdminNodes,
  SatelliteAdminProjects,
  SatelliteAdminRevokeApiKey,
  startSatelliteAdmin,
} from '../../src/satellite/admin/index.js';
import { createTestNetwork, type TestNetwork } from '../../src/testing/network.js';
import { arbitraryOf } from '../support/arbitrary.js';

/** Sends whatever it is given: the client-side check is bypassed so the server sees raw input. */
const raw = { def: { kind: 'literal', value: null }, expected: 'anything', parse: (v: unknown) => v } as unknown as Schema<unknown>;

let net: TestNetwork;
let endpoint: AdminEndpoint;
let dir: string;
let admin: SatelliteAdminClient;
let rpc: RpcClient;

beforeAll(async () => {
  net = await createTestNetwork({ nodes: 3 });
  dir = mkdtempSync(join(tmpdir(), 'handoff-sat-admin-'));
  const identityPath = join(dir, 'identity.pem');
  endpoint = await startSatelliteAdmin({ satellite: net.satellite, addressFile: adminAddressFile(identityPath) });
  const options = { identity: net.satellite.identity, addressFile: adminAddressFile(identityPath), what: 'the satellite' };
  admin = SatelliteAdminClient.connect(options);
  rpc = adminClient(options);
});

afterAll(async () => {
  await rpc?.close();
  await admin?.close();
  await endpoint?.close();
  await net?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the satellite admin calls for projects, keys and nodes', () => {
  it('creates a project, lists it, adds and revokes a key, and lists the registered nodes', async () => {
    const { projectId, apiKey } = await admin.createProject('photos');
    expect((await admin.projects()).map((p) => p.name)).toContain('photos');
    const second = await admin.createApiKey(projectId);
    const keys = await admin.apiKeys(projectId);
    expect(keys.map((k) => k.keyId).sort()).toEqual([apiKeyId(apiKey), apiKeyId(second)].sort());
    expect(await admin.revokeApiKey(apiKeyId(second))).toBe(true);
    expect(await admin.revokeApiKey(apiKeyId(second))).toBe(false);
    expect((await admin.apiKeys(projectId)).find((k) => k.keyId === apiKeyId(second))?.revokedAt).not.toBeNull();
    expect(await net.satellite.store.projects.authenticate(second)).toBeUndefined();

    const nodes = [];
    for await (const node of admin.nodes(2)) nodes.push(node); // two pages and a short one
    expect(nodes.map((n) => n.address).sort()).toEqual(net.nodes.map((n) => n.address).sort());
    expect(nodes.every((n) => n.status === 'active' && n.auditScore >= 0 && n.auditScore <= 1)).toBe(true);
  });

  const methods = [SatelliteAdminProjects, SatelliteAdminCreateProject, SatelliteAdminApiKeys, SatelliteAdminCreateApiKey, SatelliteAdminRevokeApiKey, SatelliteAdminNodes];
  for (const method of methods) {
    it(`${method.name}: anything at all gets a typed refusal or a well-formed answer`, async () => {
      const forged = unaryMethod(method.name, raw, raw);
      const hostile = fc.oneof(
        fc.anything(),
        fc.record({ name: fc.string({ maxLength: 2000 }), projectId: fc.uint8Array({ maxLength: 40 }), keyId: fc.string({ maxLength: 100 }), cursor: fc.uint8Array({ maxLength: 40 }), limit: fc.integer() }, { requiredKeys: [] }),
        arbitraryOf(method.request as Schema<unknown>),
      );
      await fc.assert(
        fc.asyncProperty(hostile, async (request) => {
          const outcome = await rpc.call(forged, request).then(
            (response) => {
              method.response.parse(response);
              return 'ok';
            },
            (err: unknown) => (isHandoffError(err) ? err.code : `untyped ${String(err)}`),
          );
          expect(['ok', 'InvalidArgument', 'NotFound']).toContain(outcome);
        }),
        { numRuns: 40 },
      );
    });
  }
});
