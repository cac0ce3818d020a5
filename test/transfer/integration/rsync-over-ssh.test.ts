import { existsSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { groupMembers, signalGroup } from '../../../src/transfer/rsync/process-group.js';
import type { TaskId } from '../../../src/transfer/types.js';
import { describeWith } from '../../support/env.js';
import { startSshd, sshUnavailableReason, type SshServer } from '../../../src/testing/sshd.js';
import { createWorld, listTree, makeProject, processesMentioning, treeDigest, waitFor, type World, type WorldOptions } from './world.js';

/** The size of the project's large file: at 8 MiB/s it takes long enough to interrupt. */
const LARGE_MIB = 32;

/** A transfer that "a" has accepted and whose key "b" has authorized. */
interface StartedTransfer {
  readonly w: World;
  /** The project folder at "a". */
  readonly project: string;
  readonly taskId: TaskId;
}

/** A throttled transfer that has made progress: rsync (process group `pid`) is mid-copy. */
interface TransferUnderway extends StartedTransfer {
  readonly pid: number;
}

describeWith('sshd, rsync and rrsync', sshUnavailableReason(), 'a transfer between two providers over rsync and SSH', () => {
  let sshd: SshServer;
  let root: string;
  let world: World | undefined;
  let nextTask = 100;

  beforeAll(async () => {
    sshd = await startSshd();
    root = mkdtempSync(join(tmpdir(), 'handoff-rsync-'));
  });
  afterEach(async () => {
    const errors = world?.errors ?? [];
    await world?.close();
    world = undefined;
    // The module reports what it handled itself; none of these stories should need it.
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await sshd?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A new pair of providers with a project at "a", and its transfer to "b" started. */
  async function startTransfer(options: WorldOptions = {}, largeMiB = LARGE_MIB): Promise<StartedTransfer> {
    const w = await createWorld(sshd, mkdtempSync(join(root, 'case-')), options);
    world = w;
    const project = makeProject(w.sourceRoot, largeMiB);
    const taskId = nextTask++;
    await w.startTransfer(taskId);
    return { w, project, taskId };
  }

  /** A transfer held to 8 MiB/s, caught once it has made its first progress. */
  async function transferUnderway(): Promise<TransferUnderway> {
    const started = await startTransfer({ bandwidthLimitKiBps: 8192 });
    const { w, taskId } = started;
    await waitFor(() => (w.a.getTask(taskId)?.progress ?? 0) > 0, 15_000, () => 'first progress');
    return { ...started, pid: w.a.getTask(taskId)?.pid as number };
  }

  /** Waits for SUCCESS at "a"; the core hears the end on the next push. */
  async function finished(w: World, taskId: TaskId): Promise<void> {
    await w.waitForState(taskId, 'SUCCESS');
    await w.a.tick();
  }

  /** Where the project's copy lands at "b". */
  function copyAt(w: World): string {
    return join(w.destinationRoot, 'inbox', 'project');
  }

  /** The progress the core heard for `taskId`, checked never to go back. */
  function expectProgressOnlyGrows(w: World, taskId: TaskId): number[] {
    const progress = w.core.updatesFor(taskId).flatMap((u) => (u.newProgress === undefined ? [] : [u.newProgress]));
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    return progress;
  }

  function statesOf(w: World, taskId: TaskId): string[] {
    return w.core.updatesFor(taskId).flatMap((u) => (u.newState === undefined ? [] : [u.newState]));
  }

  async function keyLineOf(w: World, taskId: TaskId): Promise<boolean> {
    return (await w.authorizedKeys.find(taskId)) !== undefined;
  }

  it('copies a tree of large and small files byte for byte, with progress that only grows up to 100', async () => {
    const { w, project, taskId } = await startTransfer();
    expect(await keyLineOf(w, taskId)).toBe(true);

    await finished(w, taskId);

    expect(treeDigest(copyAt(w))).toEqual(treeDigest(project));
    expect(listTree(join(w.destinationRoot, 'inbox')).filter((p) => p.includes('.~tmp~'))).toEqual([]);
    const progress = expectProgressOnlyGrows(w, taskId);
    expect(progress.at(-1)).toBe(100);
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'SUCCESS']);
    // The key is revoked at the destination and deleted at the source.
    expect(await keyLineOf(w, taskId)).toBe(false);
    expect(existsSync(join(w.keyDir, `task-${taskId}`))).toBe(false);
  });

  it('pauses in the middle of a large file and resumes inside the kept partial file', async () => {
    const { w, project, taskId, pid } = await transferUnderway();

    await w.a.control(taskId, 'pause');
    expect(w.a.getTask(taskId)?.state).toBe('PAUSED');
    expect(groupMembers(pid)).toEqual([]);
    const partial = join(copyAt(w), '.~tmp~', 'big.bin');
    await waitFor(() => existsSync(partial) && statSync(partial).size > 0, 10_000, () => 'the partial file at the destination');
    expect(statSync(partial).size).toBeLessThan(LARGE_MIB * 1024 * 1024);
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

  it('cancel stops rsync and ssh, revokes the key and leaves no half files', async () => {
    const { w, taskId, pid } = await transferUnderway();
    const keyPath = join(w.keyDir, `task-${taskId}`, 'key');
    expect(processesMentioning(keyPath).length).toBeGreaterThanOrEqual(2); // rsync and ssh

    await w.a.control(taskId, 'cancel');

    expect(w.a.getTask(taskId)?.state).toBe('HALTED');
    expect(groupMembers(pid)).toEqual([]);
    expect(signalGroup(pid, 0)).toBe(false);
    expect(processesMentioning(keyPath)).toEqual([]);
    expect(await keyLineOf(w, taskId)).toBe(false);
    expect(existsSync(keyPath)).toBe(false);
    // Only folders remain: no file under a final name, no holding directory.
    const destination = join(w.destinationRoot, 'inbox');
    expect(listTree(destination).filter((p) => !statSync(join(destination, p)).isDirectory())).toEqual([]);
    expect(listTree(destination).filter((p) => p.includes('.~tmp~'))).toEqual([]);
    await w.a.tick();
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'HALTED']);
    expect(w.core.updatesFor(taskId).at(-1)?.newStatus).toBe('canceled by the user');
  });

  it('an rsync killed from outside is reported PAUSED, then resumed by the backoff to success', async () => {
    const { w, project, taskId, pid } = await transferUnderway();

    process.kill(pid, 'SIGKILL');

    await waitFor(() => statesOf(w, taskId).includes('PAUSED'), 10_000, () => 'PAUSED to reach the core');
    const paused = w.core.updatesFor(taskId).find((u) => u.newState === 'PAUSED');
    expect(paused?.newStatus).toMatch(/killed by SIGKILL; retrying in/);
    await finished(w, taskId);
    expect(treeDigest(copyAt(w))).toEqual(treeDigest(project));
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
    expectProgressOnlyGrows(w, taskId);
  });

  it('a module restarted mid-transfer adopts the rsync still running and finishes the task', async () => {
    const { w, project, taskId, pid } = await transferUnderway();

    await w.restartA();

    expect(w.a.getTask(taskId)).toMatchObject({ state: 'RUNNING', pid });
    await finished(w, taskId);
    expect(treeDigest(copyAt(w))).toEqual(treeDigest(project));
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'SUCCESS']);
    expect(await keyLineOf(w, taskId)).toBe(false);
  });

  it('a module restarted after its rsync died runs the transfer again and finishes it', async () => {
    const { w, project, taskId, pid } = await transferUnderway();

    await w.restartA(async () => {
      signalGroup(pid, 'SIGKILL');
      await waitFor(() => groupMembers(pid).length === 0, 5000, () => 'the old group to die');
    });

    const resumed = w.a.getTask(taskId);
    expect(resumed?.state).toBe('RUNNING');
    expect(resumed?.pid).not.toBe(pid);
    await finished(w, taskId);
    expect(treeDigest(copyAt(w))).toEqual(treeDigest(project));
    expectProgressOnlyGrows(w, taskId);
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
  });
});
