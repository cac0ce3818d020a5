/**
 * The story of server-side move, told once and run over every metabase store (memory, SQLite,
 * PostgreSQL): an uplink's moveObject / copyObject / moveObjects against the satellite's move
 * service on the memory transport.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { isHandoffError } from '../../src/core/errors.js';
import type { MetabaseStore } from '../../src/metainfo/metabase/port.js';
import type { SegmentCursor } from '../../src/metainfo/metabase/types.js';
import * as Metainfo from '../../src/metainfo/methods.js';
import { copyObject, moveObject, type MoveProgress } from '../../src/move/client.js';
import { moveObjects, type PrefixMoveEntry } from '../../src/move/prefix.js';
import { encryptPath } from '../../src/uplink/encryption/index.js';
import { startMove, type MoveHarness } from './harness.js';

export interface ScenarioStore {
  readonly name: string;
  open(): Promise<MetabaseStore>;
  /** A large object's segments and the chunk size it moves with. */
  readonly large: { readonly segments: number; readonly chunk: number };
}

const text = (s: string) => new TextEncoder().encode(s);
const codeOf = (err: unknown) => (isHandoffError(err) ? err.code : String(err));
const roots = (segments: readonly { rootPieceId: Uint8Array }[]) => segments.map((s) => toHex(s.rootPieceId)).sort();

export function moveScenarios(store: ScenarioStore): void {
  describe(`server-side move over the ${store.name} metabase`, () => {
    let sat: MoveHarness;
    beforeEach(async () => {
      sat = await startMove({ metabase: await store.open() });
      await sat.bucket('photos');
      await sat.bucket('archive');
    });
    afterEach(async () => {
      await sat.stop();
      await sat.metabase.close();
    });

    it('a moved object opens only under its new key, keeps its stream, rows and createdAt, and no node hears of it', async () => {
      const uploaded = await sat.upload('photos', 'a/cat.jpg', 3);
      const inline = await sat.seed('photos', 'notes.txt', { plaintext: text('hello, moved world'), metadata: true });
      const before = await sat.metabase.listSegments(uploaded.object.streamId, { limit: 10 });
      const nodeFrames = sat.nodeFrames();

      const moved = await moveObject(sat.deps, 'photos', 'a/cat.jpg', 'b/cat.jpg');
      expect(moved).toMatchObject({ bucket: 'photos', key: 'b/cat.jpg', object: { streamId: uploaded.object.streamId, version: 1, createdAt: uploaded.object.createdAt } });
      const record = await sat.expectContent('photos', 'b/cat.jpg', uploaded, { bucket: 'photos', path: 'a/cat.jpg' });
      expect(record.encryptedKey).toEqual(encryptPath(sat.rootKey, 'photos', 'b/cat.jpg'));
      expect(await sat.objectAt('photos', 'a/cat.jpg')).toBeUndefined();
      const after = await sat.metabase.listSegments(uploaded.object.streamId, { limit: 10 });
      expect(after.map(({ encryptedKey, encryptedKeyNonce, ...rest }) => rest)).toEqual(before.map(({ encryptedKey, encryptedKeyNonce, ...rest }) => rest));

      await moveObject(sat.deps, 'photos', 'notes.txt', 'kept/notes.txt', { newBucket: 'archive' });
      await sat.expectContent('archive', 'kept/notes.txt', inline, { bucket: 'photos', path: 'notes.txt' });
      expect(sat.nodeFrames()).toBe(nodeFrames);
      expect(sat.deleted).toEqual([]);
    });

    it(`an object of ${store.large.segments} segments moves in chunks of ${store.large.chunk}, reporting progress`, async () => {
      const big = await sat.seed('photos', 'big.bin', { segments: store.large.segments, metadata: true });
      const progress: MoveProgress[] = [];
      await moveObject(sat.deps, 'photos', 'big.bin', 'moved/big.bin', { chunkSize: store.large.chunk, onProgress: (p) => progress.push(p) });
      expect(progress.length).toBe(Math.ceil(store.large.segments / store.large.chunk));
      expect(progress.at(-1)).toEqual({ segmentsDone: store.large.segments, segmentCount: store.large.segments });
      await sat.expectContent('photos', 'moved/big.bin', big, { bucket: 'photos', path: 'big.bin' });
      expect(await sat.objectAt('photos', 'big.bin')).toBeUndefined();
    }, 120_000); // seeding and moving 25,000 segments took over 30 s on a 2-core machine at load 12

    it('a destination is replaced only with overwrite, releasing its pieces; moving onto itself changes nothing', async () => {
      const source = await sat.seed('photos', 'new.txt', { segments: 2 });
      const old = await sat.seed('photos', 'taken.txt', { segments: 3 });
      await expect(moveObject(sat.deps, 'photos', 'new.txt', 'taken.txt')).rejects.toMatchObject({ name: 'AlreadyExistsError' });
      await sat.expectContent('photos', 'taken.txt', old);
      const moved = await moveObject(sat.deps, 'photos', 'new.txt', 'taken.txt', { overwrite: true });
      expect(moved.object.version).toBe(2);
      await sat.expectContent('photos', 'taken.txt', source);
      expect(sat.deleted.map((s) => toHex(s.streamId))).toEqual(Array(3).fill(toHex(old.object.streamId)));

      const itself = await moveObject(sat.deps, 'photos', 'taken.txt', 'taken.txt');
      expect(itself.object).toMatchObject({ streamId: source.object.streamId, version: 2 });
      await sat.expectContent('photos', 'taken.txt', source);
    });

    it('moves the version asked for; pending and expired objects do not move', async () => {
      const v1 = await sat.seed('photos', 'doc.txt');
      const v2 = await sat.seed('photos', 'doc.txt');
      await moveObject(sat.deps, 'photos', 'doc.txt', 'doc-v1.txt', { version: 1 });
      await sat.expectContent('photos', 'doc-v1.txt', v1, { bucket: 'photos', path: 'doc.txt' });
      await sat.expectContent('photos', 'doc.txt', v2);

      const draft = await sat.client.call(Metainfo.BeginObject, { header: sat.header, bucket: 'photos', encryptedKey: encryptPath(sat.rootKey, 'photos', 'draft.txt'), encryption: { cipherSuite: 'handoff-enc/v1', blockSize: 65520 } });
      expect(draft.streamId).toHaveLength(16);
      await expect(moveObject(sat.deps, 'photos', 'draft.txt', 'x.txt')).rejects.toMatchObject({ name: 'NotFoundError' });
      await sat.seed('photos', 'brief.txt', { expiresAt: sat.clock.now() + 1000 });
      sat.clock.advance(1000);
      await expect(moveObject(sat.deps, 'photos', 'brief.txt', 'y.txt')).rejects.toMatchObject({ name: 'NotFoundError' });
    });

    it('a move racing a new upload to the old key ends with both objects whole, each under one key', async () => {
      const original = await sat.seed('photos', 'race.txt', { segments: 6 });
      const [, fresh] = await Promise.all([
        moveObject(sat.deps, 'photos', 'race.txt', 'raced.txt', { chunkSize: 2 }),
        sat.seed('photos', 'race.txt', { segments: 4 }),
      ]);
      // Begin took whichever version was latest then; that one moved whole, the other stays whole.
      const moved = (await sat.objectAt('photos', 'raced.txt'))!;
      const [went, stayed] = Buffer.from(moved.streamId).equals(Buffer.from(original.object.streamId)) ? [original, fresh] : [fresh, original];
      await sat.expectContent('photos', 'raced.txt', went, { bucket: 'photos', path: 'race.txt' });
      await sat.expectContent('photos', 'race.txt', stayed);
    });

    it('two moves of one object to different keys: one wins, the other fails cleanly', async () => {
      const object = await sat.seed('photos', 'one.txt', { segments: 5 });
      const outcomes = await Promise.allSettled([
        moveObject(sat.deps, 'photos', 'one.txt', 'left.txt', { chunkSize: 2 }),
        moveObject(sat.deps, 'photos', 'one.txt', 'right.txt', { chunkSize: 2 }),
      ]);
      const won = outcomes.findIndex((o) => o.status === 'fulfilled');
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(['FailedPrecondition', 'NotFound']).toContain(codeOf(lost.reason));
      const [winner, loser] = won === 0 ? ['left.txt', 'right.txt'] : ['right.txt', 'left.txt'];
      await sat.expectContent('photos', winner, object, { bucket: 'photos', path: 'one.txt' });
      expect(await sat.objectAt('photos', loser)).toBeUndefined();
      expect(await sat.objectAt('photos', 'one.txt')).toBeUndefined();
    });

    it('a copy shares pieces: deleting the original keeps them, deleting the copy releases them', async () => {
      const object = await sat.seed('photos', 'orig.txt', { segments: 3, metadata: true });
      const copy = await copyObject(sat.deps, 'photos', 'orig.txt', 'copy.txt', { newBucket: 'archive', chunkSize: 2 });
      expect(copy.object.streamId).not.toEqual(object.object.streamId);
      await sat.expectContent('archive', 'copy.txt', object);
      await sat.expectContent('photos', 'orig.txt', object);
      const del = (bucket: string, path: string) => sat.client.call(Metainfo.DeleteObject, { header: sat.header, bucket, encryptedKey: encryptPath(sat.rootKey, bucket, path) });
      const pieces = roots(await sat.metabase.listSegments(object.object.streamId, { limit: 10 }));
      await del('photos', 'orig.txt');
      expect(sat.deleted).toEqual([]);
      await sat.expectContent('archive', 'copy.txt', object);
      await del('archive', 'copy.txt');
      expect(roots(sat.deleted)).toEqual(pieces);
    });

    it('the full segment iteration sees every segment once while objects move across the key space', async () => {
      for (const name of ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']) await sat.seed('photos', `k/${name}`, { segments: 2 });
      const expected = (await sat.metabase.iterateSegments({ limit: 1000 })).map((s) => `${toHex(s.streamId)}/${s.position.index}`);
      const seen: string[] = [];
      let cursor: SegmentCursor | undefined;
      const order = ['m6', 'm1', 'm5', 'm2', 'm4', 'm3'];
      for (let page = 0; ; page++) {
        const batch = await sat.metabase.iterateSegments({ cursor, limit: 2 });
        if (batch.length === 0) break;
        seen.push(...batch.map((s) => `${toHex(s.streamId)}/${s.position.index}`));
        cursor = { streamId: batch.at(-1)!.streamId, position: batch.at(-1)!.position };
        const name = order[page];
        // The end of the key space to the start, and the start to the end, alternately.
        if (name) await moveObject(sat.deps, 'photos', `k/${name}`, page % 2 === 0 ? `a/${name}` : `z/${name}`);
      }
      expect(seen).toEqual(expected);
    });

    it('moves a prefix object by object, resumably; a dry run moves nothing', async () => {
      const names = ['docs/a.txt', 'docs/sub/b.txt', 'docs/c.txt', 'docs/d.txt'];
      const seeded = new Map<string, Awaited<ReturnType<MoveHarness['seed']>>>();
      for (const name of names) seeded.set(name, await sat.seed('photos', name));
      const other = await sat.seed('photos', 'other/x.txt');

      const planned: PrefixMoveEntry[] = [];
      const dry = await moveObjects(sat.deps, 'photos', 'docs/', 'archive/docs/', { dryRun: true, onObject: (e) => planned.push(e) });
      expect(dry).toMatchObject({ planned: 4, moved: 0, failed: 0 });
      expect(planned.map((e) => e.newKey).sort()).toEqual(names.map((n) => `archive/${n}`).sort());
      await sat.expectContent('photos', 'docs/a.txt', seeded.get('docs/a.txt')!);

      // Interrupted after the first object...
      const abort = new AbortController();
      const interrupted: PrefixMoveEntry[] = [];
      const onInterrupted = (entry: PrefixMoveEntry) => {
        interrupted.push(entry);
        abort.abort();
      };
      await expect(moveObjects(sat.deps, 'photos', 'docs/', 'archive/docs/', { concurrency: 1, signal: abort.signal, onObject: onInterrupted })).rejects.toMatchObject({ name: 'CanceledError' });
      expect(interrupted.map((e) => e.status)).toEqual(['moved']);
      const movedFirst = interrupted[0]!.key;
      // ...and run again, alongside a second runner: every object moves exactly once, none fails.
      const entries: PrefixMoveEntry[] = [];
      const [first, second] = await Promise.all([
        moveObjects(sat.deps, 'photos', 'docs/', 'archive/docs/', { concurrency: 2, onObject: (e) => entries.push(e) }),
        moveObjects(sat.deps, 'photos', 'docs/', 'archive/docs/', { concurrency: 2, onObject: (e) => entries.push(e) }),
      ]);
      // A runner that finds an object already at its destination counts it skipped (or, when its own
      // Finish lands second on the same destination, moved): never failed, never moved twice.
      expect([...first.failures, ...second.failures].map((f) => `${f.key}: ${f.error?.name} ${f.error?.message}`)).toEqual([]);
      const remaining = names.filter((name) => name !== movedFirst);
      // The object the interrupted run moved left the prefix: no runner saw it again.
      expect([...new Set(entries.map((e) => e.key))].sort()).toEqual(remaining.sort());
      for (const name of remaining) {
        const outcomes = entries.filter((e) => e.key === name);
        expect(outcomes.filter((e) => e.status === 'moved').length, name).toBeGreaterThan(0);
        // Every runner's entry names the one stream, landed once: version 1 under the new key.
        for (const entry of outcomes) expect(entry.object, name).toMatchObject({ streamId: seeded.get(name)!.object.streamId, version: 1 });
      }
      for (const name of names) {
        expect(await sat.objectAt('photos', `archive/${name}`), name).toMatchObject({ streamId: seeded.get(name)!.object.streamId, version: 1 });
        await sat.expectContent('photos', `archive/${name}`, seeded.get(name)!, { bucket: 'photos', path: name });
      }
      await sat.expectContent('photos', 'other/x.txt', other);
      const rest = await moveObjects(sat.deps, 'photos', 'docs/', 'archive/docs/');
      expect(rest).toMatchObject({ moved: 0, skipped: 0, failed: 0 });
      await expect(moveObjects(sat.deps, 'photos', 'docs/', 'docs/deeper/')).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    });
  });
}
