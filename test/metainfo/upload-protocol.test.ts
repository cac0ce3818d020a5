import { afterEach, describe, expect, it } from 'vitest';
import * as M from '../../src/metainfo/methods.js';
import { encryption, key, startMetainfo } from './harness.js';

type Satellite = Awaited<ReturnType<typeof startMetainfo>>;
let sat: Satellite;
afterEach(async () => sat?.stop());

async function bucket(name = 'photos') {
  await sat.client.call(M.CreateBucket, { header: sat.header, name });
}

/** Uploads an object of `segments` remote segments with the combined calls, as an uplink does. */
async function uploadRemote(objectKey: string, segments: number, size = 10_000) {
  const { client, header } = sat;
  const start = await client.call(M.StartStreamAndStartSegment, {
    header, bucket: 'photos', encryptedKey: key(objectKey), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: size, encryption,
  });
  let segment = start.segment;
  for (let i = 1; i < segments; i++) {
    ({ segment } = await client.call(M.CommitSegmentAndStartSegment, {
      header, streamUploadId: start.streamUploadId, commit: sat.commitOf(segment, size), position: { part: 0, index: i }, maxEncryptedSegmentSize: size,
    }));
  }
  const { object } = await client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: start.streamUploadId, commit: sat.commitOf(segment, size) });
  return object;
}

describe('the object protocol (seed 003)', () => {
  it('an object with N remote segments costs N+1 satellite round trips, an inline object one', async () => {
    sat = await startMetainfo();
    await bucket();
    let before = sat.frames();
    const object = await uploadRemote('big', 3);
    expect(sat.frames() - before).toBe(4);
    expect(object).toMatchObject({ version: 1, status: 'committed', segmentCount: 3, totalEncryptedSize: 30_000 });

    before = sat.frames();
    const inline = await sat.client.call(M.CommitInlineObject, {
      header: sat.header, bucket: 'photos', encryptedKey: key('small'), encryption,
      inline: { position: { part: 0, index: 0 }, encryptedKey: new Uint8Array(48), encryptedKeyNonce: new Uint8Array(24), plainSize: 5, inlineData: new Uint8Array(21) },
    });
    expect(sat.frames() - before).toBe(1);
    expect(inline.object).toMatchObject({ segmentCount: 1, totalPlainSize: 5 });
  });

  it('a download gets the segment list in order with the first segment\'s limits for distinct reachable nodes', async () => {
    sat = await startMetainfo();
    await bucket();
    await uploadRemote('big', 3);
    const { object, segments, moreSegments } = await sat.client.call(M.DownloadObject, { header: sat.header, bucket: 'photos', encryptedKey: key('big') });
    expect(object.segmentCount).toBe(3);
    expect(moreSegments).toBe(false);
    expect(segments.map((s) => [s.position.index, s.plainOffset])).toEqual([[0, 0], [1, 10_000], [2, 20_000]]);
    const limits = segments[0]!.limits!;
    expect(limits.length).toBeGreaterThanOrEqual(sat.config.redundancy.success);
    expect(new Set(limits.map((l) => Buffer.from(l.limit.storageNodeId).toString('hex'))).size).toBe(limits.length);
    expect(limits.every((l) => l.limit.action === 'GET')).toBe(true);
    expect(segments[1]!.limits).toBeUndefined();
  });

  it('two uploads to the same key at once both commit, as separate versions; reads see the latest', async () => {
    sat = await startMetainfo();
    await bucket();
    const { client, header } = sat;
    const begin = () => client.call(M.StartStreamAndStartSegment, { header, bucket: 'photos', encryptedKey: key('same'), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1000, encryption });
    const [a, b] = await Promise.all([begin(), begin()]);
    const commitB = await client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: b.streamUploadId, commit: sat.commitOf(b.segment, 1000) });
    const commitA = await client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: a.streamUploadId, commit: sat.commitOf(a.segment, 500) });
    expect([commitB.object.version, commitA.object.version]).toEqual([1, 2]);
    const latest = await client.call(M.GetObject, { header, bucket: 'photos', encryptedKey: key('same') });
    expect(latest.object.streamId).toEqual(a.streamId);
    const first = await client.call(M.GetObject, { header, bucket: 'photos', encryptedKey: key('same'), version: 1 });
    expect(first.object.streamId).toEqual(b.streamId);
    expect(first.object.totalEncryptedSize).toBe(1000);
  });

  it('multipart: parts uploaded out of order and in parallel commit ordered by (part, index)', async () => {
    sat = await startMetainfo();
    await bucket();
    const { client, header } = sat;
    const { streamUploadId } = await client.call(M.BeginObject, { header, bucket: 'photos', encryptedKey: key('multi'), encryption });
    await Promise.all(
      [3, 1, 2].map(async (part) => {
        for (const index of [1, 0]) {
          const { segment } = await client.call(M.BeginSegment, { header, streamUploadId, position: { part, index }, maxEncryptedSegmentSize: 1000 });
          await client.call(M.CommitSegment, { header, streamUploadId, commit: sat.commitOf(segment, 100 * part + index) });
        }
      }),
    );
    const { object } = await client.call(M.CommitObject, { header, streamUploadId });
    expect(object.segmentCount).toBe(6);
    const { segments } = await client.call(M.DownloadObject, { header, bucket: 'photos', encryptedKey: key('multi') });
    expect(segments.map((s) => `${s.position.part}.${s.position.index}`)).toEqual(['1.0', '1.1', '2.0', '2.1', '3.0', '3.1']);
    expect(segments.map((s) => s.plainOffset)).toEqual([0, 100, 201, 401, 602, 902]);
  });

  it('abort removes the pending stream and reports its segments for deletion', async () => {
    sat = await startMetainfo();
    await bucket();
    const { client, header } = sat;
    const { streamUploadId } = await client.call(M.BeginObject, { header, bucket: 'photos', encryptedKey: key('gone'), encryption });
    const { segment } = await client.call(M.BeginSegment, { header, streamUploadId, position: { part: 1, index: 0 }, maxEncryptedSegmentSize: 1000 });
    await client.call(M.CommitSegment, { header, streamUploadId, commit: sat.commitOf(segment, 1000) });
    await client.call(M.AbortObject, { header, streamUploadId });
    expect(sat.deleted).toHaveLength(1);
    await expect(client.call(M.CommitObject, { header, streamUploadId })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    const { items } = await client.call(M.ListObjects, { header, bucket: 'photos', prefix: new Uint8Array(), recursive: true, limit: 10, includePending: true });
    expect(items).toEqual([]);
  });
});

describe('upload ids, expiry and cleanup', () => {
  it('a tampered upload id is refused and changes nothing', async () => {
    sat = await startMetainfo();
    await bucket();
    const { client, header } = sat;
    const start = await client.call(M.StartStreamAndStartSegment, { header, bucket: 'photos', encryptedKey: key('k'), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1000, encryption });
    const tampered = start.streamUploadId.slice();
    tampered[5] = tampered[5]! ^ 1;
    await expect(client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: tampered, commit: sat.commitOf(start.segment, 1000) })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    const segmentTampered = sat.commitOf(start.segment, 1000);
    segmentTampered.segmentUploadId = segmentTampered.segmentUploadId.slice();
    segmentTampered.segmentUploadId[3] = segmentTampered.segmentUploadId[3]! ^ 0x40;
    await expect(client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: start.streamUploadId, commit: segmentTampered })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(client.call(M.GetObject, { header, bucket: 'photos', encryptedKey: key('k') })).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('an upload committed after its deadline fails cleanly, and the cleanup chore deletes it', async () => {
    sat = await startMetainfo({ config: { uploadTtlMs: 60_000 } });
    await bucket();
    const { client, header } = sat;
    const start = await client.call(M.StartStreamAndStartSegment, { header, bucket: 'photos', encryptedKey: key('late'), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1000, encryption });
    sat.clock.advance(61_000);
    await expect(client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: start.streamUploadId, commit: sat.commitOf(start.segment, 1000) })).rejects.toMatchObject({ name: 'FailedPreconditionError', message: expect.stringContaining('expired') });
    const removed = await sat.metabase.deleteExpired(sat.clock.now(), 100);
    expect(removed.objects.map((o) => o.status)).toEqual(['pending']);
  });

  it('a segment commits only with enough pieces signed by the nodes it was issued to', async () => {
    sat = await startMetainfo();
    await bucket();
    const { client, header } = sat;
    const start = await client.call(M.StartStreamAndStartSegment, { header, bucket: 'photos', encryptedKey: key('forged'), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 4096, encryption });
    const forged = { ...sat.commitOf(start.segment, 4096), pieces: sat.storePieces(start.segment, 4096, { forge: true }) };
    await expect(client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: start.streamUploadId, commit: forged })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    const honest = sat.commitOf(start.segment, 4096);
    const tooFew = { ...honest, pieces: honest.pieces.slice(0, sat.config.redundancy.success - 1) };
    await expect(client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: start.streamUploadId, commit: tooFew })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    // Pieces of 1 KiB cannot belong to a 1000-byte segment (its pieces are 256 bytes).
    const wrongSize = { ...honest, encryptedSize: 1000, plainSize: 1000 };
    await expect(client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: start.streamUploadId, commit: wrongSize })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    const { object } = await client.call(M.CommitSegmentAndCommitStream, { header, streamUploadId: start.streamUploadId, commit: honest });
    expect(object.version).toBe(1);
  });
});

describe('projects, buckets and limits', () => {
  it('one project can never see or touch another project\'s buckets and uploads', async () => {
    sat = await startMetainfo();
    await bucket();
    const start = await sat.client.call(M.StartStreamAndStartSegment, { header: sat.header, bucket: 'photos', encryptedKey: key('mine'), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1000, encryption });
    const other = await sat.projects.createProject('other');
    const otherHeader = { apiKey: other.apiKey };
    const { buckets } = await sat.client.call(M.ListBuckets, { header: otherHeader, limit: 10 });
    expect(buckets).toEqual([]);
    await expect(sat.client.call(M.GetBucket, { header: otherHeader, name: 'photos' })).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(sat.client.call(M.CommitSegmentAndCommitStream, { header: otherHeader, streamUploadId: start.streamUploadId, commit: sat.commitOf(start.segment, 1000) })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(sat.client.call(M.ListBuckets, { header: { apiKey: 'hk1_not-a-key' }, limit: 10 })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
  });

  it('a non-empty bucket is deleted only when forced', async () => {
    sat = await startMetainfo();
    await bucket();
    await uploadRemote('x', 1);
    await expect(sat.client.call(M.DeleteBucket, { header: sat.header, name: 'photos' })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    await sat.client.call(M.DeleteBucket, { header: sat.header, name: 'photos', force: true });
    expect(sat.deleted).toHaveLength(1);
  });

  it('each limit is an InvalidArgument that names its field', async () => {
    sat = await startMetainfo({ config: { maxKeyLength: 16, maxMetadataSize: 8, maxSegmentSize: 4096 } });
    await bucket();
    const { client, header } = sat;
    const base = { header, bucket: 'photos', position: { part: 0, index: 0 }, encryption };
    await expect(client.call(M.StartStreamAndStartSegment, { ...base, encryptedKey: new Uint8Array(17), maxEncryptedSegmentSize: 100 })).rejects.toThrow(/"encryptedKey"/);
    await expect(client.call(M.StartStreamAndStartSegment, { ...base, encryptedKey: key('k'), maxEncryptedSegmentSize: 4097 })).rejects.toThrow(/"maxEncryptedSegmentSize"/);
    // A refused first segment leaves no pending stream behind (the client never got its id).
    const { items: pending } = await client.call(M.ListObjects, { header, bucket: 'photos', prefix: new Uint8Array(), recursive: true, limit: 10, includePending: true });
    expect(pending).toEqual([]);
    const inline = { position: { part: 0, index: 0 }, encryptedKey: new Uint8Array(48), encryptedKeyNonce: new Uint8Array(24), plainSize: 1, inlineData: new Uint8Array(5000) };
    await expect(client.call(M.CommitInlineObject, { header, bucket: 'photos', encryptedKey: key('k'), encryption, inline })).rejects.toThrow(/"inline.inlineData"/);
    const metadata = { encryptedMetadata: new Uint8Array(9), encryptedMetadataNonce: new Uint8Array(24), encryptedMetadataKey: new Uint8Array(48), encryptedMetadataKeyNonce: new Uint8Array(24) };
    await expect(client.call(M.CommitInlineObject, { header, bucket: 'photos', encryptedKey: key('k'), encryption, inline: { ...inline, inlineData: new Uint8Array(5) }, metadata })).rejects.toThrow(/"metadata.encryptedMetadata"/);
    await expect(client.call(M.CreateBucket, { header, name: 'Not A Bucket' })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    await expect(client.call(M.StartStreamAndStartSegment, { ...base, bucket: 'missing', encryptedKey: key('k'), maxEncryptedSegmentSize: 100 })).rejects.toMatchObject({ name: 'NotFoundError', message: expect.stringContaining('bucket') });
    await expect(client.call(M.CommitInlineObject, { header, bucket: 'missing', encryptedKey: key('k'), encryption, inline: { ...inline, inlineData: new Uint8Array(5) } })).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('an object call in a bucket that does not exist says the bucket is not found, a delete too; an empty key is refused', async () => {
    sat = await startMetainfo({ config: { maxKeyLength: 600 } });
    await bucket();
    const { client, header } = sat;
    const noBucket = { name: 'NotFoundError', message: 'bucket "fotos" not found' };
    const ref = { header, bucket: 'fotos', encryptedKey: key('a') };
    await expect(client.call(M.GetObject, ref)).rejects.toMatchObject(noBucket);
    await expect(client.call(M.DownloadObject, ref)).rejects.toMatchObject(noBucket);
    await expect(client.call(M.DeleteObject, ref)).rejects.toMatchObject(noBucket);
    await expect(client.call(M.DeleteObject, { ...ref, version: 2 })).rejects.toMatchObject(noBucket);
    // In a bucket that exists, a missing object is just that, and deleting it deletes nothing.
    await expect(client.call(M.GetObject, { ...ref, bucket: 'photos' })).rejects.toMatchObject({ name: 'NotFoundError', message: 'object not found' });
    expect(await client.call(M.DeleteObject, { ...ref, bucket: 'photos' })).toEqual({});
    await expect(client.call(M.DeleteObject, { ...ref, bucket: 'photos', encryptedKey: new Uint8Array(0) })).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('encryptedKey') });
    // The limit an uplink states in the terms its user typed a key in.
    expect(await client.call(M.GetProjectInfo, { header })).toMatchObject({ maxKeyLength: 600 });
  });

  it('new segments never go to exiting, exited or disqualified nodes; downloads still use exiting ones', async () => {
    sat = await startMetainfo({ nodes: 12 });
    await bucket();
    await uploadRemote('before', 1);
    const { segments } = await sat.client.call(M.DownloadObject, { header: sat.header, bucket: 'photos', encryptedKey: key('before') });
    const holder = segments[0]!.limits![0]!.limit.storageNodeId;
    const statuses = ['exiting', 'exited', 'disqualified'] as const;
    const retired = [holder, sat.nodes[0]!.publicKey, sat.nodes[1]!.publicKey].filter((id, i, all) => all.findIndex((x) => Buffer.compare(x, id) === 0) === i);
    for (const [i, id] of retired.entries()) {
      const to = statuses[i % 3]!;
      if (to === 'exited') await sat.overlay.setStatus({ id, from: 'active', to: 'exiting', at: sat.clock.now() });
      await sat.overlay.setStatus({ id, from: to === 'exited' ? 'exiting' : 'active', to, at: sat.clock.now() });
    }
    const retiredHex = new Set(retired.map((id) => Buffer.from(id).toString('hex')));
    for (let i = 0; i < 5; i++) {
      const start = await sat.client.call(M.StartStreamAndStartSegment, { header: sat.header, bucket: 'photos', encryptedKey: key(`after-${i}`), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1000, encryption });
      for (const l of start.segment.addressedLimits) expect(retiredHex.has(Buffer.from(l.limit.storageNodeId).toString('hex'))).toBe(false);
    }
    const again = await sat.client.call(M.DownloadObject, { header: sat.header, bucket: 'photos', encryptedKey: key('before') });
    const downloadNodes = new Set(again.segments[0]!.limits!.map((l) => Buffer.from(l.limit.storageNodeId).toString('hex')));
    expect(downloadNodes.has(Buffer.from(holder).toString('hex'))).toBe(true); // the first retired one is exiting
  });
});

describe('listing and deleting with versions', () => {
  it('lists by prefix, folding sub-folders unless recursive, and deletes a given version', async () => {
    sat = await startMetainfo();
    await bucket();
    for (const name of ['a/1', 'a/2', 'a/sub/3', 'b']) await uploadRemote(name, 1, 100);
    await uploadRemote('a/1', 1, 200);
    const list = (recursive: boolean) => sat.client.call(M.ListObjects, { header: sat.header, bucket: 'photos', prefix: key('a/'), recursive, limit: 100 });
    const flat = await list(false);
    expect(flat.items.map((i) => (i.kind === 'prefix' ? `prefix:${Buffer.from(i.key)}` : Buffer.from(i.object.encryptedKey).toString()))).toEqual(['a/1', 'a/2', 'prefix:a/sub/']);
    expect((await list(true)).items).toHaveLength(3);
    const { object } = await sat.client.call(M.DeleteObject, { header: sat.header, bucket: 'photos', encryptedKey: key('a/1'), version: 1 });
    expect(object?.version).toBe(1);
    const latest = await sat.client.call(M.GetObject, { header: sat.header, bucket: 'photos', encryptedKey: key('a/1') });
    expect(latest.object.version).toBe(2);
  });
});

describe('a client that is not the satellite\'s own', () => {
  it('cannot use an upload id from one satellite at another', async () => {
    sat = await startMetainfo();
    await bucket();
    const start = await sat.client.call(M.StartStreamAndStartSegment, { header: sat.header, bucket: 'photos', encryptedKey: key('k'), position: { part: 0, index: 0 }, maxEncryptedSegmentSize: 1000, encryption });
    const other = await startMetainfo();
    try {
      await other.client.call(M.CreateBucket, { header: other.header, name: 'photos' });
      await expect(other.client.call(M.CommitObject, { header: other.header, streamUploadId: start.streamUploadId })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    } finally {
      await other.stop();
    }
  });
});
