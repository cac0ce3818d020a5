/**
 * Server-side move end to end over TCP: a real Satellite (SQLite store) and the client
 * functions, including the cleanup chore deleting an abandoned chunked move.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { Identity } from '../../src/crypto/identity.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import * as Metainfo from '../../src/metainfo/methods.js';
import { copyObject, moveObject, type MoveClientDeps } from '../../src/move/client.js';
import { packSegmentKeys, unpackSegmentKeys } from '../../src/move/key-page.js';
import * as M from '../../src/move/methods.js';
import { moveObjects } from '../../src/move/prefix.js';
import { Satellite, openSatelliteStore } from '../../src/satellite/index.js';
import { RpcClient, tcpTransport } from '../../src/transport/index.js';
import { rekeyObject } from '../../src/uplink/encryption/index.js';
import { expectObjectContent, seedObject, START, type SeedOptions } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'handoff-move-tcp-'));
const clock = new ManualClock(START);
let satellite: Satellite;
let client: RpcClient;
let deps: MoveClientDeps;
let projectId: Uint8Array;
const nodes = Array.from({ length: 8 }, () => Identity.generate());

beforeAll(async () => {
  satellite = await Satellite.start({
    transport: tcpTransport(),
    address: '127.0.0.1:0',
    store: await openSatelliteStore({ kind: 'sqlite', dir }),
    clock,
    config: { move: { operationTtlMs: 60_000 }, cleanupIntervalMs: 3600_000 },
  });
  const project = await satellite.createProject('move');
  projectId = project.projectId;
  client = new RpcClient({ transport: tcpTransport(), address: satellite.address, expectedPeer: satellite.id, maxIdleConnections: 4 });
  deps = { client, header: { apiKey: project.apiKey }, rootKey: getCryptoProvider().randomBytes(32) };
  await client.call(Metainfo.CreateBucket, { header: deps.header, name: 'photos' });
});
afterAll(async () => {
  await client?.close();
  await satellite?.close();
  await satellite?.store.close();
  rmSync(dir, { recursive: true, force: true });
});

const seed = (path: string, options: SeedOptions) => seedObject({ metabase: satellite.store.metabase, projectId, rootKey: deps.rootKey, now: clock.now(), nodes }, 'photos', path, options);

describe('server-side move over TCP with the SQLite store', () => {
  it('moves, copies and moves a prefix; the bytes and keys are intact under the new names', async () => {
    const note = await seed('notes/today.txt', { plaintext: new TextEncoder().encode('the bytes survive the move'), metadata: true });
    const big = await seed('video/big.bin', { segments: 2500, metadata: true });

    await moveObject(deps, 'photos', 'notes/today.txt', 'notes/yesterday.txt');
    await expectObjectContent(deps, 'photos', 'notes/yesterday.txt', note, { bucket: 'photos', path: 'notes/today.txt' });

    const moved = await moveObject(deps, 'photos', 'video/big.bin', 'video/archive.bin', { chunkSize: 1000 });
    expect(moved.object).toMatchObject({ streamId: big.object.streamId, segmentCount: 2500 });
    await expectObjectContent(deps, 'photos', 'video/archive.bin', big, { bucket: 'photos', path: 'video/big.bin' });

    await copyObject(deps, 'photos', 'notes/yesterday.txt', 'notes/copy.txt');
    await expectObjectContent(deps, 'photos', 'notes/copy.txt', note);

    const report = await moveObjects(deps, 'photos', 'notes/', 'old-notes/');
    expect(report).toMatchObject({ moved: 2, failed: 0 });
    await expectObjectContent(deps, 'photos', 'old-notes/yesterday.txt', note);
    await expectObjectContent(deps, 'photos', 'old-notes/copy.txt', note);
  });

  it('an abandoned chunked move leaves the object whole and is deleted by the cleanup chore once it expires', async () => {
    const object = await seed('abandoned.bin', { segments: 5 });
    const rekey = rekeyObject(deps.rootKey, { bucket: 'photos', path: 'abandoned.bin' }, { bucket: 'photos', path: 'never.bin' });
    const begin = await client.call(M.BeginMoveObject, {
      header: deps.header, bucket: 'photos', encryptedKey: rekey.oldEncryptedKey, newEncryptedKey: rekey.newEncryptedKey, segmentLimit: 2,
    });
    await client.call(M.PutMoveKeys, { header: deps.header, operationId: begin.operationId!, segmentKeys: packSegmentKeys(rekey.rewrapAll(unpackSegmentKeys(begin.segmentKeys))) });
    const metabase = satellite.store.metabase;
    expect(await metabase.getMoveOperation(projectId, begin.operationId!, clock.now())).toBeDefined();
    clock.advance(60_000);
    await satellite.chores.cleanup.runOnce();
    // Gone even for a clock that has not reached the expiry: the chore deleted the row.
    expect(await metabase.getMoveOperation(projectId, begin.operationId!, 0)).toBeUndefined();
    await expectObjectContent(deps, 'photos', 'abandoned.bin', object);
  });
});
