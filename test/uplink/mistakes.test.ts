/**
 * One mistake must not lock the owner out: an upload under a mistyped passphrase is skipped (and
 * counted) by the owner's listings instead of stopping them, and looking it up by name says why
 * it is not found. Errors name what was wrong, in the terms the user typed: which object is
 * missing, how long a key may be, an empty key, a bucket that does not exist.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestNetwork, type TestNetwork } from '../../src/testing/network.js';
import type { ListObjectsOptions, Uplink, UndecryptableEntry } from '../../src/uplink/index.js';
import { describeWith } from '../support/env.js';
import { postgresUnavailable } from '../support/postgres.js';
import { text } from './support/bytes.js';

let network: TestNetwork | undefined;
afterEach(async () => {
  await network?.close();
  network = undefined;
});

/** Names listed (folders end in "/"), the entries skipped, and the listing's own count. */
async function list(uplink: Uplink, bucket: string, options: ListObjectsOptions = {}) {
  const skipped: UndecryptableEntry[] = [];
  const listing = uplink.listObjects(bucket, { ...options, onUndecryptable: (entry) => skipped.push(entry) });
  const names: string[] = [];
  for await (const item of listing) names.push(item.kind === 'prefix' ? item.prefix : item.key);
  return { names: names.sort(), skipped, undecryptable: listing.undecryptable };
}

/** A bucket the owner filled, plus two uploads made with a mistyped passphrase. */
async function ownerAndTypo() {
  network = await createTestNetwork();
  const owner = await network.uplink({ passphrase: 'correct horse battery staple' });
  const typo = await network.uplink({ passphrase: 'correct horse battery stapel' });
  await owner.createBucket('photos');
  await owner.upload('photos', 'notes.txt', text('mine'));
  await owner.upload('photos', 'plans/2025.txt', text('mine too'));
  await typo.upload('photos', 'plans/2026.txt', text('stored under the typo'));
  await typo.upload('photos', 'draft.txt', text('this one too'));
  return { owner, typo };
}

describe('an upload made with a mistyped passphrase', () => {
  it('is skipped and counted by the owner\'s listing, which still shows everything the owner\'s key decrypts', async () => {
    const { owner } = await ownerAndTypo();

    const everything = await list(owner, 'photos', { recursive: true });
    expect(everything.names).toEqual(['notes.txt', 'plans/2025.txt']);
    expect(everything.undecryptable).toBe(2);
    expect(everything.skipped).toHaveLength(2);
    for (const entry of everything.skipped) {
      expect(entry).toMatchObject({ kind: 'object', version: 1, error: { name: 'UnauthenticatedError', message: expect.stringContaining('cannot decrypt') } });
      expect(entry.encryptedKey.length).toBeGreaterThan(0);
    }

    // Folded: the typo's "plans/" is another folder than the owner's (another key encrypted it), counted once.
    const top = await list(owner, 'photos');
    expect(top.names).toEqual(['notes.txt', 'plans/']);
    expect(top.skipped.map((e) => e.kind).sort()).toEqual(['object', 'prefix']);
    expect(top.undecryptable).toBe(2);
  });

  it('never shows below a prefix: the prefix is encrypted under the owner\'s key, the typo\'s names under another', async () => {
    const { owner } = await ownerAndTypo();
    const plans = await list(owner, 'photos', { prefix: 'plans/', recursive: true });
    expect(plans).toMatchObject({ names: ['plans/2025.txt'], undecryptable: 0, skipped: [] });
  });

  it('leaves the mistyped uplink a listing of its own uploads, counting the owner\'s', async () => {
    const { typo } = await ownerAndTypo();
    const theirs = await list(typo, 'photos', { recursive: true });
    expect(theirs).toMatchObject({ names: ['draft.txt', 'plans/2026.txt'], undecryptable: 2 });
  });

  it('counts afresh each time the same listing is iterated', async () => {
    const { owner } = await ownerAndTypo();
    const listing = owner.listObjects('photos', { recursive: true, allVersions: true });
    for (let round = 0; round < 2; round++) {
      let shown = 0;
      for await (const item of listing) if (item.kind === 'object') shown++;
      expect([shown, listing.undecryptable]).toEqual([2, 2]);
    }
  });

  it('is not found by the owner\'s download, stat or move, with an error saying it may be stored under a different passphrase', async () => {
    const { owner, typo } = await ownerAndTypo();
    const why = {
      name: 'NotFoundError',
      message: expect.stringMatching(/^object "plans\/2026\.txt" not found in bucket "photos" under this passphrase or root key; the bucket holds 2 entries whose names this key cannot decrypt, stored under a different passphrase/),
      details: { undecryptableEntries: 2 },
    };
    await expect(owner.download('photos', 'plans/2026.txt')).rejects.toMatchObject(why);
    await expect(owner.downloadStream('photos', 'plans/2026.txt')).rejects.toMatchObject(why);
    await expect(owner.stat('photos', 'plans/2026.txt')).rejects.toMatchObject(why);
    await expect(owner.moveObject('photos', 'plans/2026.txt', 'plans/2026-final.txt')).rejects.toMatchObject(why);
    await expect(owner.stat('photos', 'plans/2026.txt', { version: 1 })).rejects.toMatchObject({
      name: 'NotFoundError',
      message: expect.stringMatching(/^version 1 of object "plans\/2026\.txt" not found in bucket "photos" under this passphrase/),
    });
    // The other way round, the same words: the typo's uplink cannot find the owner's objects.
    await expect(typo.download('photos', 'notes.txt')).rejects.toMatchObject({ name: 'NotFoundError', message: expect.stringContaining('stored under a different passphrase or root key') });
    // And both still read their own.
    expect(new TextDecoder().decode(await owner.download('photos', 'notes.txt'))).toBe('mine');
    expect(new TextDecoder().decode(await typo.download('photos', 'plans/2026.txt'))).toBe('stored under the typo');
  });

  it('leaves a plain "not found" plain when every name in the bucket decrypts', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('clean');
    await uplink.upload('clean', 'here.txt', text('x'));
    await expect(uplink.download('clean', 'gone.txt')).rejects.toMatchObject({ name: 'NotFoundError', message: 'object "gone.txt" not found in bucket "clean"' });
  });
});

describe('errors that name what was wrong', () => {
  it('a move of a missing object names the object as typed and its bucket', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('photos');
    await expect(uplink.moveObject('photos', 'inbox/a.jpg', '2024/a.jpg')).rejects.toMatchObject({
      name: 'NotFoundError',
      message: 'object "inbox/a.jpg" not found in bucket "photos"',
    });
    await expect(uplink.copyObject('photos', 'inbox/a.jpg', 'copy.jpg', { version: 3 })).rejects.toMatchObject({
      name: 'NotFoundError',
      message: 'version 3 of object "inbox/a.jpg" not found in bucket "photos"',
    });
    await expect(uplink.moveObject('photos', 'inbox/a.jpg', 'inbox/a.jpg')).rejects.toMatchObject({ name: 'NotFoundError', message: expect.stringContaining('"inbox/a.jpg"') });
    await expect(uplink.moveObject('albums', 'inbox/a.jpg', 'a.jpg')).rejects.toMatchObject({ name: 'NotFoundError', message: 'bucket "albums" not found' });
  });

  it('an empty object key is refused by every call that takes one, before anything is sent', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('photos');
    await uplink.upload('photos', 'a.txt', text('a'));
    const empty = { name: 'InvalidArgumentError', message: expect.stringMatching(/^"key" must not be empty/) };
    await expect(uplink.upload('photos', '', text('x'))).rejects.toMatchObject(empty);
    await expect(uplink.download('photos', '')).rejects.toMatchObject(empty);
    await expect(uplink.downloadStream('photos', '')).rejects.toMatchObject(empty);
    await expect(uplink.stat('photos', '')).rejects.toMatchObject(empty);
    await expect(uplink.deleteObject('photos', '')).rejects.toMatchObject(empty);
    await expect(uplink.beginMultipartUpload('photos', '')).rejects.toMatchObject(empty);
    await expect(uplink.moveObject('photos', '', 'b.txt')).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/^"oldKey" must not be empty/) });
    await expect(uplink.moveObject('photos', 'a.txt', '')).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/^"newKey" must not be empty/) });
    await expect(uplink.copyObject('photos', 'a.txt', '')).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/^"newKey" must not be empty/) });
    expect((await list(uplink, 'photos', { recursive: true, pending: true })).names).toEqual(['a.txt']);
  });

  it('a key too long is refused in the terms it was typed: its UTF-8 bytes, and the most a key of its shape may have', async () => {
    network = await createTestNetwork();
    const uplink = await network.uplink();
    await uplink.createBucket('photos');
    // 1024 encrypted bytes (the default limit) hold a 728-byte name without "/".
    await uplink.upload('photos', 'x'.repeat(728), text('fits'));
    await expect(uplink.upload('photos', 'x'.repeat(729), text('does not'))).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      message: expect.stringMatching(/^"key" "x{40}…" is too long: 729 bytes of UTF-8, and a key without "\/" may have at most 728 \(/),
    });
    // Each "/" costs: every part is encrypted on its own.
    const deep = `${'d/'.repeat(9)}${'y'.repeat(400)}`;
    await expect(uplink.stat('photos', deep)).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      message: expect.stringContaining('is too long: 418 bytes of UTF-8, and a key of 10 "/"-separated parts may have at most'),
    });
    // Characters beyond ASCII take more than one byte: the limit counts bytes, and says so.
    await expect(uplink.upload('photos', 'é'.repeat(400), text('x'))).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining('800 bytes of UTF-8') });
    await expect(uplink.moveObject('photos', 'x'.repeat(728), 'z'.repeat(800))).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringMatching(/^"newKey" "z{40}…" is too long: 800 bytes/) });
  });

  it('the limit is the satellite\'s own, also for an uplink given a raw root key', async () => {
    network = await createTestNetwork({ satellite: { metainfo: { maxKeyLength: 200 } } });
    const rootKey = new Uint8Array(32).fill(9);
    const uplink = await network.uplink({ rootKey });
    await uplink.createBucket('photos');
    await uplink.upload('photos', 'k'.repeat(110), text('fits'));
    await expect(uplink.upload('photos', 'k'.repeat(111), text('x'))).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      message: expect.stringContaining('111 bytes of UTF-8, and a key without "/" may have at most 110 (each part is stored encrypted, a third longer plus 40 bytes, within the satellite\'s limit of 200)'),
    });
    await expect(uplink.upload('photos', 'a/b/c/d', text('x'))).rejects.toMatchObject({ name: 'InvalidArgumentError', message: expect.stringContaining('a key of 4 "/"-separated parts cannot fit at all') });
  });
});

const stores: Array<{ storage: 'memory' | 'sqlite' | 'postgres'; unavailable: string | undefined }> = [
  { storage: 'memory', unavailable: undefined },
  { storage: 'sqlite', unavailable: undefined },
  { storage: 'postgres', unavailable: postgresUnavailable },
];
for (const { storage, unavailable } of stores) {
  describeWith(storage, unavailable, `a bucket that does not exist, with the satellite on ${storage}`, () => {
    it('is named by a delete, a read or a move of an object in it, instead of the delete silently succeeding', async () => {
      network = await createTestNetwork({ storage });
      const uplink = await network.uplink();
      await uplink.createBucket('photos');
      await uplink.upload('photos', 'a.txt', text('a'));
      const noBucket = { name: 'NotFoundError', message: 'bucket "fotos" not found' };
      await expect(uplink.deleteObject('fotos', 'a.txt')).rejects.toMatchObject(noBucket);
      await expect(uplink.deleteObject('fotos', 'a.txt', { version: 1 })).rejects.toMatchObject(noBucket);
      await expect(uplink.download('fotos', 'a.txt')).rejects.toMatchObject(noBucket);
      await expect(uplink.stat('fotos', 'a.txt')).rejects.toMatchObject(noBucket);
      await expect(uplink.moveObject('fotos', 'a.txt', 'b.txt')).rejects.toMatchObject(noBucket);
      await expect(uplink.moveObject('photos', 'a.txt', 'b.txt', { newBucket: 'fotos' })).rejects.toMatchObject(noBucket);
      // In a bucket that does exist, deleting nothing is still not an error.
      expect(await uplink.deleteObject('photos', 'nothing.txt')).toBeUndefined();
      expect(await uplink.deleteObject('photos', 'a.txt')).toMatchObject({ key: 'a.txt', version: 1 });
    });
  });
}
