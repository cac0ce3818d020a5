/**
 * What `handoff cp` decides before it moves a byte: which file becomes which key, and that no
 * object name — however it was written — can put a file outside the folder it is copied into.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { localPathFor, planCopy } from '../../src/cli/objects/copy.js';
import type { Uplink } from '../../src/uplink/uplink.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Uploads are planned from the disk alone: an uplink that is touched fails the test. */
const untouched = new Proxy({}, { get: () => { throw new Error('the plan of an upload must not call the uplink'); } }) as Uplink;

describe('the plan of a copy', () => {
  it('puts what is in a folder under the prefix, sorted, and a single file under its name or the key given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handoff-plan-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'photos', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'photos', 'b.jpg'), 'bb');
    writeFileSync(join(dir, 'photos', 'deep', 'a.jpg'), 'a');
    const folder = await planCopy(untouched, join(dir, 'photos'), 'hf://bkt/2024', true);
    expect(folder.map((i) => (i.kind === 'upload' ? [i.key, i.size] : []))).toEqual([['2024/b.jpg', 2], ['2024/deep/a.jpg', 1]]);
    const toBucket = await planCopy(untouched, join(dir, 'photos', 'b.jpg'), 'hf://bkt', false);
    expect(toBucket).toMatchObject([{ kind: 'upload', bucket: 'bkt', key: 'b.jpg' }]);
    const renamed = await planCopy(untouched, join(dir, 'photos', 'b.jpg'), 'hf://bkt/x/y.jpg', false);
    expect(renamed).toMatchObject([{ key: 'x/y.jpg' }]);
    await expect(planCopy(untouched, join(dir, 'photos'), 'hf://bkt/', false)).rejects.toThrow(/is a folder: add --recursive/);
    await expect(planCopy(untouched, join(dir, 'missing'), 'hf://bkt/', false)).rejects.toThrow(/no such file or folder/);
    await expect(planCopy(untouched, 'a', 'b', false)).rejects.toThrow(/one of SRC and DST must be in the network/);
  });

  it('never maps an object key to a path outside the destination folder', () => {
    const root = resolve(tmpdir(), 'handoff-dest');
    const segment = fc.oneof(fc.constantFrom('..', '.', '', '/', '\\\\', 'a', '..\\\\x', '\\u0000'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (parts) => {
        const key = parts.join('/');
        try {
          const path = localPathFor(root, key);
          expect(path.startsWith(root + sep)).toBe(true);
          expect(path.split(sep)).not.toContain('..');
        } catch (err) {
          expect((err as Error).name).toBe('CommandError');
        }
      }),
      { numRuns: 2000 },
    );
    expect(() => localPathFor(root, '../../etc/passwd')).toThrow(/not a safe file name/);
    expect(localPathFor(root, 'a/b.txt')).toBe(join(root, 'a', 'b.txt'));
  });
});
