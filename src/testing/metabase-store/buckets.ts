import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './context.js';
import { at, buckets, pending, projectA, projectB, rejectsWith, T0, upload } from './fixtures.js';

export function bucketTests(ctx: SuiteContext): void {
  describe('buckets', () => {
    it('creates a bucket once per project and reads it back', async () => {
      const { store } = ctx;
      await store.createBucket({ projectId: projectA, name: 'photos', createdAt: T0 });
      await rejectsWith(store.createBucket({ projectId: projectA, name: 'photos', createdAt: T0 + 1 }), 'AlreadyExistsError');
      // Another project may use the same name: it is a different bucket.
      await store.createBucket({ projectId: projectB, name: 'photos', createdAt: T0 + 5 });
      expect(await store.getBucket(projectA, 'photos')).toEqual({ projectId: projectA, name: 'photos', createdAt: T0 });
      expect(await store.getBucket(projectB, 'photos')).toEqual({ projectId: projectB, name: 'photos', createdAt: T0 + 5 });
      expect(await store.getBucket(projectA, 'videos')).toBeUndefined();
    });

    it('lists a project’s buckets by name bytes, after an exclusive cursor, up to a limit', async () => {
      const { store } = ctx;
      // '-' and '.' sort before digits and letters by byte, whatever a database's locale says.
      const names = ['b', 'a-c', 'ab', 'a.c', 'a0', 'z9', 'a'];
      await buckets(store, names);
      await buckets(store, ['other'], projectB);
      const sorted = ['a', 'a-c', 'a.c', 'a0', 'ab', 'b', 'z9'];
      expect((await store.listBuckets(projectA, { limit: 100 })).map((b) => b.name)).toEqual(sorted);
      expect((await store.listBuckets(projectA, { limit: 2 })).map((b) => b.name)).toEqual(['a', 'a-c']);
      expect((await store.listBuckets(projectA, { cursor: 'a-c', limit: 3 })).map((b) => b.name)).toEqual(['a.c', 'a0', 'ab']);
      expect((await store.listBuckets(projectA, { cursor: 'aa', limit: 10 })).map((b) => b.name)).toEqual(['ab', 'b', 'z9']);
      expect(await store.listBuckets(projectA, { cursor: 'z9', limit: 10 })).toEqual([]);
      expect((await store.listBuckets(projectB, { limit: 10 })).map((b) => b.name)).toEqual(['other']);
    });

    it('deletes an empty bucket and refuses a missing one', async () => {
      const { store } = ctx;
      await buckets(store, ['photos']);
      expect(await store.deleteBucket(projectA, 'photos', { force: false })).toEqual([]);
      expect(await store.getBucket(projectA, 'photos')).toBeUndefined();
      await rejectsWith(store.deleteBucket(projectA, 'photos', { force: false }), 'NotFoundError');
    });

    it('refuses to delete a bucket holding a committed or only a pending object, unless forced', async () => {
      const { store } = ctx;
      await buckets(store, ['photos', 'drafts', 'keep']);
      const kept = await upload(store, at('k', 'keep'));
      const committed = await upload(store, at('a.jpg'), { segments: [{ part: 0, index: 0 }, { part: 0, index: 1 }] });
      const draftStream = await pending(store, at('x', 'drafts'));
      await rejectsWith(store.deleteBucket(projectA, 'photos', { force: false }), 'FailedPreconditionError');
      await rejectsWith(store.deleteBucket(projectA, 'drafts', { force: false }), 'FailedPreconditionError');
      expect(await store.getObject(at('a.jpg'))).toEqual(committed);

      const deleted = await store.deleteBucket(projectA, 'photos', { force: true });
      expect(deleted.map((s) => s.position)).toEqual([{ part: 0, index: 0 }, { part: 0, index: 1 }]);
      expect(deleted.every((s) => s.streamId.every((b, i) => b === committed.streamId[i]))).toBe(true);
      expect(await store.getBucket(projectA, 'photos')).toBeUndefined();
      expect(await store.getObject(at('a.jpg'))).toBeUndefined();
      expect(await store.listSegments(committed.streamId, { limit: 10 })).toEqual([]);
      expect(await store.deleteBucket(projectA, 'drafts', { force: true })).toEqual([]);
      expect(await store.getStream(at('x', 'drafts'), draftStream)).toBeUndefined();
      // A new bucket under the old name starts empty.
      await buckets(store, ['photos']);
      expect((await store.listObjects({ ...at(''), prefix: new Uint8Array(), recursive: true, limit: 10 })).entries).toEqual([]);
      expect(await store.getObject(at('k', 'keep'))).toEqual(kept);
    });

    it('never shows one project another project’s buckets or objects', async () => {
      const { store } = ctx;
      await buckets(store, ['shared']);
      await buckets(store, ['shared'], projectB);
      const mine = await upload(store, at('secret', 'shared'));
      const theirs = at('secret', 'shared', projectB);
      expect(await store.getObject(theirs)).toBeUndefined();
      expect(await store.getStream(theirs, mine.streamId)).toBeUndefined();
      expect(await store.deleteObject(theirs)).toBeUndefined();
      await rejectsWith(store.deletePendingObject(theirs, mine.streamId), 'NotFoundError');
      expect((await store.listObjects({ ...theirs, prefix: new Uint8Array(), recursive: true, limit: 10 })).entries).toEqual([]);
      expect(await store.deleteBucket(projectB, 'shared', { force: false })).toEqual([]);
      expect(await store.getObject(at('secret', 'shared'))).toEqual(mine);
    });
  });
}
