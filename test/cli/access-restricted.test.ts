/**
 * The whole story of a shared, restricted access over a real satellite on TCP: the owner exports
 * a read-only, one-prefix, expiring access with the CLI; someone else uses it — with the CLI, and
 * with a bare uplink that skips every client-side check — and the satellite alone keeps them
 * inside it, until it expires or its base key is revoked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAccess, encodeAccess } from '../../src/cli/access/grant.js';
import type { CliIo } from '../../src/cli/command.js';
import { main } from '../../src/cli/index.js';
import type { StopRequest } from '../../src/cli/stop.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { getCryptoProvider } from '../../src/crypto/select.js';
import { apiKeyId } from '../../src/projects/api-key.js';
import { createTestNetwork, type TestNetwork } from '../../src/testing/network.js';
import { tcpTransport } from '../../src/transport/tcp.js';
import { Uplink } from '../../src/uplink/uplink.js';

const never = (): StopRequest => ({ requested: new Promise(() => {}), dispose: () => {} });
const text = (s: string) => new TextEncoder().encode(s);

function io(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l: string) => lines.push(l), err: (l: string) => errors.push(l), stdin: Readable.from([]), stdout: { write: () => true, isTTY: false } } as never;
}

/** The system clock, moved forward on demand: the satellite's sense of "now" for the expiry. */
function skewedClock(): Clock & { skew: number } {
  const clock = { skew: 0, now: () => Date.now() + clock.skew, setTimeout: systemClock.setTimeout.bind(systemClock), clearTimeout: systemClock.clearTimeout.bind(systemClock) };
  return clock;
}

let network: TestNetwork | undefined;
const dirs: string[] = [];
const uplinks: Uplink[] = [];
afterEach(async () => {
  for (const u of uplinks.splice(0)) await u.close();
  await network?.close();
  network = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a restricted access exported with the CLI', () => {
  it('reads inside its prefix only, never writes, and stops working after its expiry or when its base key is revoked — enforced by the satellite', async () => {
    const clock = skewedClock();
    network = await createTestNetwork({ transport: 'tcp', nodes: 5, clock });
    const rootKey = getCryptoProvider().randomBytes(32);
    const owner = await network.uplink({ rootKey });
    uplinks.push(owner);
    await owner.createBucket('photos');
    await owner.createBucket('other');
    await owner.upload('photos', '2024/beach.txt', text('sand'));
    await owner.upload('photos', '2024/big.bin', getCryptoProvider().randomBytes(100_000));
    await owner.upload('photos', '2023/snow.txt', text('cold'));
    await owner.upload('other', '2024/beach.txt', text('elsewhere'));

    // The owner: a full access, exported restricted by the CLI (the satellite is not asked).
    const satellite = `${network.satellite.id}@${network.satellite.address}`;
    const apiKey = await network.apiKey();
    const ownerDir = mkdtempSync(join(tmpdir(), 'handoff-owner-'));
    const friendDir = mkdtempSync(join(tmpdir(), 'handoff-friend-'));
    dirs.push(ownerDir, friendDir);
    const full = encodeAccess({ satellite, apiKey, rootKey, restrictions: {} });
    expect(await main(['access', 'import', 'mine', full], io(), never, { configDir: ownerDir, env: {} })).toBe(0);
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const exported = io();
    expect(await main(['access', 'export', 'mine', '--read-only', '--only', 'hf://photos/2024/', '--expires', expires], exported, never, { configDir: ownerDir, env: {} })).toBe(0);
    const shared = exported.lines[0]!;
    const sharedAccess = decodeAccess(shared);
    expect(sharedAccess.apiKey.startsWith('hk1r_')).toBe(true);

    // The friend, with the CLI: reads inside, cannot write.
    expect(await main(['access', 'import', 'friend', shared], io(), never, { configDir: friendDir, env: {} })).toBe(0);
    const shown = io();
    expect(await main(['access', 'show', 'friend'], shown, never, { configDir: friendDir, env: {} })).toBe(0);
    expect(shown.lines.join('\n')).toContain('enforced by the satellite');
    expect(shown.lines.join('\n')).toContain(apiKeyId(apiKey));
    const cat = io();
    expect(await main(['cat', 'hf://photos/2024/beach.txt'], cat, never, { configDir: friendDir, env: {} })).toBe(0);
    const local = join(friendDir, 'upload.txt');
    writeFileSync(local, 'mine now');
    const cp = io();
    expect(await main(['cp', local, 'hf://photos/2024/upload.txt'], cp, never, { configDir: friendDir, env: {} })).toBe(1);

    // Someone who strips the restrictions from the string's JSON gets nothing more: they are in the key.
    const stripped = encodeAccess({ ...sharedAccess, restrictions: {} });
    const strippedCp = io();
    expect(await main(['cp', local, 'hf://photos/2024/upload.txt', '--access', stripped], strippedCp, never, { configDir: friendDir, env: {} })).toBe(1);
    expect(strippedCp.errors.join('\n')).toMatch(/satellite refused: the API key is read-only/);
    const strippedCat = io();
    expect(await main(['cat', 'hf://photos/2023/snow.txt', '--access', stripped], strippedCat, never, { configDir: friendDir, env: {} })).toBe(1);
    expect(strippedCat.errors.join('\n')).toMatch(/reaches only part of bucket "photos"/);

    // A bare uplink with the restricted key and the root key: no client-side check at all.
    const friend = await Uplink.connect({ transport: tcpTransport(), satelliteAddress: satellite, apiKey: sharedAccess.apiKey, rootKey: sharedAccess.rootKey, clock });
    uplinks.push(friend);
    expect(new TextDecoder().decode(await friend.download('photos', '2024/beach.txt'))).toBe('sand');
    expect((await friend.download('photos', '2024/big.bin')).length).toBe(100_000);
    const listed: string[] = [];
    for await (const item of friend.listObjects('photos', { prefix: '2024/', recursive: true })) if (item.kind === 'object') listed.push(item.key);
    expect(listed.sort()).toEqual(['2024/beach.txt', '2024/big.bin']);
    const denied = { name: 'PermissionDeniedError' };
    await expect(friend.upload('photos', '2024/new.txt', text('x'))).rejects.toMatchObject(denied);
    await expect(friend.upload('photos', '2024/big2.bin', getCryptoProvider().randomBytes(100_000))).rejects.toMatchObject(denied);
    await expect(friend.deleteObject('photos', '2024/beach.txt')).rejects.toMatchObject(denied);
    await expect(friend.moveObject('photos', '2024/beach.txt', '2024/moved.txt')).rejects.toMatchObject(denied);
    await expect(friend.createBucket('mine')).rejects.toMatchObject(denied);
    await expect(friend.download('photos', '2023/snow.txt')).rejects.toMatchObject(denied);
    await expect(friend.download('other', '2024/beach.txt')).rejects.toMatchObject(denied);
    await expect(friend.stat('other', '2024/beach.txt')).rejects.toMatchObject(denied);
    await expect((async () => {
      for await (const _ of friend.listObjects('photos', { recursive: true })) void _;
    })()).rejects.toMatchObject(denied);
    expect((await friend.listBuckets()).map((b) => b.name)).toEqual(['photos']);
    // The owner's objects are untouched.
    expect(new TextDecoder().decode(await owner.download('photos', '2024/beach.txt'))).toBe('sand');

    // Past the expiry (by the satellite's clock), the same key reads nothing.
    clock.skew = 2 * 3_600_000;
    await expect(friend.download('photos', '2024/beach.txt')).rejects.toMatchObject({ name: 'PermissionDeniedError', message: expect.stringContaining('expired') });
    clock.skew = 0;
    expect(new TextDecoder().decode(await friend.download('photos', '2024/beach.txt'))).toBe('sand');

    // Revoking the owner's key ends the shared one too.
    expect(await network.satellite.store.projects.revokeApiKey(apiKeyId(apiKey))).toBe(true);
    await expect(friend.download('photos', '2024/beach.txt')).rejects.toMatchObject({ name: 'PermissionDeniedError', message: 'invalid API key' });
  }, 120_000);
});
