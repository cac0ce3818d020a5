/**
 * The stories every transfer plugin must pass, run by each plugin's test with its own
 * {@link PluginKit}: a tree copied byte for byte with progress that only grows; a pause in the
 * middle of a large file and a resume inside it, with nothing half-written under a final name; a
 * cancel that revokes the key and leaves no half files; a run stopped from outside, retried to
 * success; a module restarted mid-transfer; checksum verification; and, where a tmpfs can be
 * mounted, a full destination waited out.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskId } from '../../../src/transfer/types.js';
import { createWorld, listTree, makeProject, treeDigest, waitFor, type PluginKit, type World, type WorldOptions } from './world.js';

/** The size of the project's large file: at 8 MiB/s it takes long enough to interrupt. */
const LARGE_MIB = 32;

export interface PluginSuiteOptions {
  /** Extra checks once a run caught mid-copy was paused (e.g. no process of it left). */
  readonly afterPause?: (w: World, taskId: TaskId, pid: number | null) => void | Promise<void>;
  /** Extra checks once such a run was canceled. */
  readonly afterCancel?: (w: World, taskId: TaskId, pid: number | null) => void | Promise<void>;
  /** Extra checks right after a module restart mid-transfer. */
  readonly afterRestart?: (w: World, taskId: TaskId, pid: number | null) => void | Promise<void>;
  /** Why a tmpfs cannot be mounted here, or undefined when it can. */
  readonly tmpfsUnavailable?: string;
}

/** Registers the shared stories for `kit()` (called in `beforeAll`, after outside servers start). */
export function pluginSuite(kit: () => PluginKit, options: PluginSuiteOptions = {}): void {
  let root: string;
  let world: World | undefined;
  let nextTask = 100;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'handoff-plugin-suite-'));
  });
  afterEach(async () => {
    const errors = world?.errors ?? [];
    await world?.close();
    world = undefined;
    // The module reports what it handled itself; none of these stories should need it.
    expect(errors).toEqual([]);
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function startTransfer(worldOptions: WorldOptions = {}, largeMiB = LARGE_MIB) {
    const w = await createWorld(kit(), mkdtempSync(join(root, 'case-')), worldOptions);
    world = w;
    const project = makeProject(w.sourceRoot, largeMiB);
    const taskId = nextTask++;
    await w.startTransfer(taskId);
    return { w, project, taskId };
  }

  /** A transfer held to 8 MiB/s, caught once it has made its first progress. */
  async function transferUnderway() {
    const started = await startTransfer({ bandwidthLimitKiBps: 8192 });
    const { w, taskId } = started;
    await waitFor(() => (w.a.getTask(taskId)?.progress ?? 0) > 0, 15_000, () => 'first progress');
    return { ...started, pid: w.a.getTask(taskId)?.pid ?? null };
  }

  async function finished(w: World, taskId: TaskId): Promise<void> {
    await w.waitForState(taskId, 'SUCCESS');
    await w.a.tick();
  }

  const copyAt = (w: World): string => join(w.destinationRoot, 'inbox', 'project');

  function expectProgressOnlyGrows(w: World, taskId: TaskId): number[] {
    const progress = w.core.updatesFor(taskId).flatMap((u) => (u.newProgress === undefined ? [] : [u.newProgress]));
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    return progress;
  }

  const statesOf = (w: World, taskId: TaskId): string[] => w.core.updatesFor(taskId).flatMap((u) => (u.newState === undefined ? [] : [u.newState]));

  /** No temporary file left, and every file under a final name is the source's, byte for byte. */
  function expectNoHalfFiles(w: World, project: string): void {
    const destination = join(w.destinationRoot, 'inbox');
    expect(listTree(destination).filter((p) => kit().isPartial(p))).toEqual([]);
    const source = treeDigest(project);
    for (const [path, digest] of Object.entries(treeDigest(copyAt(w)))) expect({ path, digest }).toEqual({ path, digest: source[path] });
  }

  it('copies a tree of large and small files byte for byte, with progress that only grows up to 100', async () => {
    const { w, project, taskId } = await startTransfer();
    expect(await w.sides.isKeyAuthorized(taskId)).toBe(true);

    await finished(w, taskId);

    expect(treeDigest(copyAt(w))).toEqual(treeDigest(project));
    expect(listTree(join(w.destinationRoot, 'inbox')).filter((p) => kit().isPartial(p))).toEqual([]);
    expect(expectProgressOnlyGrows(w, taskId).at(-1)).toBe(100);
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'SUCCESS']);
    // The key is revoked at the destination and deleted at the source.
    expect(await w.sides.isKeyAuthorized(taskId)).toBe(false);
    expect(existsSync(join(w.keyDir, `task-${taskId}`))).toBe(false);
  });

  it('pauses in the middle of a large file and resumes inside the kept partial file', async () => {
    const { w, project, taskId, pid } = await transferUnderway();

    await w.a.control(taskId, 'pause');
    expect(w.a.getTask(taskId)?.state).toBe('PAUSED');
    await options.afterPause?.(w, taskId, pid);
    const partial = kit().partialPath(copyAt(w), 'big.bin', taskId);
    await waitFor(() => existsSync(partial) && statSync(partial).size > 0, 10_000, () => 'the partial file at the destination');
    const kept = statSync(partial).size;
    expect(kept).toBeLessThan(LARGE_MIB * 1024 * 1024);
    // Nothing half-written under a final name.
    expect(existsSync(join(copyAt(w), 'big.bin'))).toBe(false);
    const pausedAt = w.a.getTask(taskId)?.progress ?? 0;

    await w.a.control(taskId, 'resume');
    await finished(w, taskId);

    expect(treeDigest(copyAt(w))).toEqual(treeDigest(project));
    const progress = expectProgressOnlyGrows(w, taskId);
    expect(progress.at(-1)).toBe(100);
    expect(Math.min(...progress.filter((p) => p >= pausedAt))).toBeGreaterThanOrEqual(pausedAt);
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
  });

  it('cancel stops the transfer, revokes the key and leaves no half files', async () => {
    const { w, project, taskId, pid } = await transferUnderway();

    await w.a.control(taskId, 'cancel');

    expect(w.a.getTask(taskId)?.state).toBe('HALTED');
    await options.afterCancel?.(w, taskId, pid);
    expect(await w.sides.isKeyAuthorized(taskId)).toBe(false);
    expect(existsSync(join(w.keyDir, `task-${taskId}`))).toBe(false);
    expectNoHalfFiles(w, project);
    expect(existsSync(join(copyAt(w), 'big.bin'))).toBe(false);
    await w.a.tick();
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'HALTED']);
    expect(w.core.updatesFor(taskId).at(-1)?.newStatus).toBe('canceled by the user');
  });

  it('a run stopped from outside is reported PAUSED, then resumed by the backoff to success', async () => {
    const { w, project, taskId } = await transferUnderway();

    await kit().interrupt(w, taskId);

    await waitFor(() => statesOf(w, taskId).includes('PAUSED'), 10_000, () => 'PAUSED to reach the core');
    const paused = w.core.updatesFor(taskId).find((u) => u.newState === 'PAUSED');
    expect(paused?.newStatus).toMatch(/retrying in/);
    await finished(w, taskId);
    expect(treeDigest(copyAt(w))).toEqual(treeDigest(project));
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
    expectProgressOnlyGrows(w, taskId);
  });

  it('a module restarted mid-transfer finishes the task', async () => {
    const { w, project, taskId, pid } = await transferUnderway();

    await w.restartA();

    expect(w.a.getTask(taskId)?.state).toBe('RUNNING');
    await options.afterRestart?.(w, taskId, pid);
    await finished(w, taskId);
    expect(treeDigest(copyAt(w))).toEqual(treeDigest(project));
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'SUCCESS']);
    expectProgressOnlyGrows(w, taskId);
    expect(await w.sides.isKeyAuthorized(taskId)).toBe(false);
  });

  it('with checksum verification a same-size, same-time file with other content is corrected', async () => {
    const { w, project, taskId: first } = await startTransfer({ verifyChecksums: true }, 1);
    await w.waitForState(first, 'SUCCESS');
    // Corrupt the copy without changing its size or modification time: only a checksum sees it.
    const copy = join(copyAt(w), 'notes', 'readme.txt');
    const { mtime } = statSync(copy);
    writeFileSync(copy, 'HELLO FROM PROVIDER A\n');
    utimesSync(copy, mtime, mtime);

    const second = nextTask++;
    await w.startTransfer(second);
    await w.waitForState(second, 'SUCCESS');
    expect(treeDigest(copyAt(w))).toEqual(treeDigest(project));
    expect(readFileSync(copy, 'utf8')).toBe('hello from provider a\n');
  });

  describe.skipIf(options.tmpfsUnavailable !== undefined)('a destination that runs out of space', () => {
    let inbox: string | undefined;
    afterEach(() => {
      if (inbox) execFileSync('umount', ['-l', inbox], { stdio: 'ignore' });
      inbox = undefined;
    });

    it('pauses the task as out of space, then finishes it once the destination has room', async () => {
      const w = await createWorld(kit(), mkdtempSync(join(root, 'case-')));
      world = w;
      inbox = join(w.destinationRoot, 'inbox');
      mkdirSync(inbox, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', inbox]);
      const project = makeProject(w.sourceRoot, 16);
      const taskId = nextTask++;

      await w.startTransfer(taskId);
      await waitFor(() => w.a.getTask(taskId)?.pauseCause === 'out-of-space', 30_000, () => `out-of-space pause (task: ${JSON.stringify(w.a.getTask(taskId))})`);
      await w.a.tick();
      const paused = w.core.updatesFor(taskId).find((u) => u.newState === 'PAUSED');
      expect(paused?.newStatus).toMatch(/out of space/);
      expect(w.core.updatesFor(taskId).some((u) => u.newState === 'FAILURE')).toBe(false);

      // The provider frees space (here: grows the volume); the next retry goes through.
      execFileSync('mount', ['-o', 'remount,size=64m', 'tmpfs', inbox]);
      await w.waitForState(taskId, 'SUCCESS');
      expect(treeDigest(join(inbox, 'project'))).toEqual(treeDigest(project));
      await w.close();
      world = undefined;
    });
  });
}

/** Why a tmpfs cannot be mounted here (not root, no permission), or undefined when it can. */
export function tmpfsUnavailableReason(): string | undefined {
  const probe = mkdtempSync(join(tmpdir(), 'handoff-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs (needs root): ${(err as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
