/**
 * The metainfo calls with a restricted key, one protocol step at a time: the calls an uplink
 * library would never make for its user (continuing someone else's upload, listing a parent of
 * the prefix) are refused by the satellite too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as M from '../../src/metainfo/methods.js';
import { restrictApiKey } from '../../src/projects/restricted-key.js';
import { copyObject, moveObject } from '../../src/move/client.js';
import { encryptPrefix } from '../../src/uplink/encryption/path-cipher.js';
import { encryption, key, startMetainfo } from '../metainfo/harness.js';
import { startMove } from '../move/harness.js';

type Satellite = Awaited<ReturnType<typeof startMetainfo>>;
let sat: Satellite | undefined;
let moving: Awaited<ReturnType<typeof startMove>> | undefined;
afterEach(async () => {
  await sat?.stop();
  await moving?.stop();
  sat = moving = undefined;
});

const denied = { name: 'PermissionDeniedError' };

describe('a key restricted to one prefix, for writing', () => {
  it('uploads inside it, and cannot continue, commit or abort an upload begun outside it', async () => {
    const sat_ = (sat = await startMetainfo());
    const { client, header } = sat_;
    await client.call(M.CreateBucket, { header, name: 'photos' });
    const mine = { apiKey: restrictApiKey(header.apiKey, { paths: [{ bucket: 'photos', encryptedPrefix: key('in/') }] }) };

    // Inside: a whole upload with the restricted key.
    const start = await client.call(M.StartStreamAndStartSegment, { header: mine, bucket: 'photos', encryptedKey: key('in/a'), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1000, encryption });
    await client.call(M.CommitSegmentAndCommitStream, { header: mine, streamUploadId: start.streamUploadId, commit: sat_.commitOf(start.segment, 1000) });
    expect((await client.call(M.GetObject, { header: mine, bucket: 'photos', encryptedKey: key('in/a') })).object.encryptedKey).toEqual(key('in/a'));

    // Outside: refused at the start, and an upload id the owner got for outside is no use either.
    await expect(client.call(M.StartStreamAndStartSegment, { header: mine, bucket: 'photos', encryptedKey: key('out/a'), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1000, encryption })).rejects.toMatchObject(denied);
    await expect(client.call(M.CommitInlineObject, { header: mine, bucket: 'photos', encryptedKey: key('inx'), encryption, inline: { position: { part: 0, index: 0 }, encryptedKey: new Uint8Array(48), encryptedKeyNonce: new Uint8Array(24), inlineData: new Uint8Array(10), plainSize: 10 } })).rejects.toMatchObject(denied);
    const owners = await client.call(M.BeginObject, { header, bucket: 'photos', encryptedKey: key('out/b'), encryption });
    await expect(client.call(M.BeginSegment, { header: mine, streamUploadId: owners.streamUploadId, position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1000 })).rejects.toMatchObject(denied);
    await expect(client.call(M.CommitObject, { header: mine, streamUploadId: owners.streamUploadId })).rejects.toMatchObject(denied);
    await expect(client.call(M.AbortObject, { header: mine, streamUploadId: owners.streamUploadId })).rejects.toMatchObject(denied);
    await expect(client.call(M.DeleteObject, { header: mine, bucket: 'photos', encryptedKey: key('out/b') })).rejects.toMatchObject(denied);
    // The owner's upload is intact: the owner aborts it.
    await client.call(M.AbortObject, { header, streamUploadId: owners.streamUploadId });
  });

  it('lists inside the prefix only, sees only its bucket, and cannot create or delete a bucket', async () => {
    sat = await startMetainfo();
    const { client, header } = sat;
    for (const name of ['photos', 'other']) await client.call(M.CreateBucket, { header, name });
    const mine = { apiKey: restrictApiKey(header.apiKey, { paths: [{ bucket: 'photos', encryptedPrefix: key('in/') }] }) };
    const list = (prefix: string, h = mine) => client.call(M.ListObjects, { header: h, bucket: 'photos', prefix: key(prefix), recursive: true, limit: 10 });
    await expect(list('in/')).resolves.toMatchObject({ items: [] });
    await expect(list('in/deeper/')).resolves.toMatchObject({ items: [] });
    await expect(list('')).rejects.toMatchObject(denied);
    await expect(list('i')).rejects.toMatchObject(denied);
    await expect(client.call(M.ListObjects, { header: mine, bucket: 'other', prefix: key('in/'), recursive: true, limit: 10 })).rejects.toMatchObject(denied);
    expect((await client.call(M.ListBuckets, { header: mine, limit: 10 })).buckets.map((b) => b.name)).toEqual(['photos']);
    // Pages of a key restricted to some buckets hold only those, full pages while more remain.
    for (const name of ['aaa', 'bbb', 'ccc', 'zzz']) await client.call(M.CreateBucket, { header, name });
    const some = { apiKey: restrictApiKey(header.apiKey, { paths: ['bbb', 'nope', 'zzz', 'aaa'].map((bucket) => ({ bucket, encryptedPrefix: new Uint8Array(0) })) }) };
    const first = await client.call(M.ListBuckets, { header: some, limit: 2 });
    expect(first.buckets.map((b) => b.name)).toEqual(['aaa', 'bbb']);
    expect((await client.call(M.ListBuckets, { header: some, cursor: 'bbb', limit: 2 })).buckets.map((b) => b.name)).toEqual(['zzz']);
    const narrower = { apiKey: restrictApiKey(some.apiKey, { paths: [{ bucket: 'zzz', encryptedPrefix: new Uint8Array(0) }] }) };
    expect((await client.call(M.ListBuckets, { header: narrower, limit: 10 })).buckets.map((b) => b.name)).toEqual(['zzz']);
    await expect(client.call(M.GetBucket, { header: mine, name: 'photos' })).resolves.toMatchObject({ name: 'photos' });
    await expect(client.call(M.GetBucket, { header: mine, name: 'other' })).rejects.toMatchObject(denied);
    await expect(client.call(M.CreateBucket, { header: mine, name: 'newer' })).rejects.toMatchObject(denied);
    await expect(client.call(M.DeleteBucket, { header: mine, name: 'photos' })).rejects.toMatchObject(denied);
    // A whole-bucket key may delete its bucket, and only it.
    const wholeBucket = { apiKey: restrictApiKey(header.apiKey, { paths: [{ bucket: 'other', encryptedPrefix: new Uint8Array(0) }] }) };
    await expect(client.call(M.DeleteBucket, { header: wholeBucket, name: 'photos' })).rejects.toMatchObject(denied);
    await client.call(M.DeleteBucket, { header: wholeBucket, name: 'other' });
  });

  it('moves and copies inside its prefix, never out of it or into it from outside; a read-only key moves nothing', async () => {
    const m = (moving = await startMove());
    await m.bucket('photos');
    await m.upload('photos', 'in/a.txt', 2);
    await m.upload('photos', 'out/b.txt', 1);
    const inside = encryptPrefix(m.rootKey, 'photos', 'in/');
    const mine = { ...m.deps, header: { apiKey: restrictApiKey(m.header.apiKey, { paths: [{ bucket: 'photos', encryptedPrefix: inside }] }) } };
    await moveObject(mine, 'photos', 'in/a.txt', 'in/moved.txt');
    await copyObject(mine, 'photos', 'in/moved.txt', 'in/copy.txt');
    await expect(moveObject(mine, 'photos', 'in/moved.txt', 'out/stolen.txt')).rejects.toMatchObject(denied);
    await expect(copyObject(mine, 'photos', 'in/moved.txt', 'out/copy.txt')).rejects.toMatchObject(denied);
    await expect(moveObject(mine, 'photos', 'out/b.txt', 'in/b.txt')).rejects.toMatchObject(denied);
    await expect(copyObject(mine, 'photos', 'out/b.txt', 'in/b.txt')).rejects.toMatchObject(denied);
    const readOnly = { ...m.deps, header: { apiKey: restrictApiKey(m.header.apiKey, { readOnly: true }) } };
    await expect(moveObject(readOnly, 'photos', 'in/moved.txt', 'in/again.txt')).rejects.toMatchObject(denied);
    await expect(copyObject(readOnly, 'photos', 'in/moved.txt', 'in/again.txt')).rejects.toMatchObject(denied);
    expect(await m.objectAt('photos', 'in/moved.txt')).toBeDefined();
    expect(await m.objectAt('photos', 'in/copy.txt')).toBeDefined();
    expect(await m.objectAt('photos', 'out/b.txt')).toBeDefined();
    expect(await m.objectAt('photos', 'out/stolen.txt')).toBeUndefined();
  });
});
