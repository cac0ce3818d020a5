import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { groupMembers, signalGroup } from '../../../src/transfer/rsync/process-group.js';
import { describeWith } from '../../support/env.js';
import { startSshd, sshUnavailableReason, type SshServer } from '../../../src/testing/sshd.js';
import { createWorld, listTree, makeProject, treeDigest, waitFor, type World } from './world.js';

/** Processes anywhere on the machine whose command line mentions `needle` (e.g. a task's key path). */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSafe(`/proc/${entry}/stat`);
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSafe(`/proc/${entry}/cmdline`).includes(needle)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function readFileSafe(path: string): string {
  return readFileSync(path, 'latin1');
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

  async function newWorld(options: Parameters<typeof createWorld>[2] = {}): Promise<World> {
    world = await createWorld(sshd, mkdtempSync(join(root, 'case-')), options);
    return world;
  }

  function progressOf(w: World, taskId: number): number[] {
    return w.core.updatesFor(taskId).flatMap((u) => (u.newProgress === undefined ? [] : [u.newProgress]));
  }

  function statesOf(w: World, taskId: number): string[] {
    return w.core.updatesFor(taskId).flatMap((u) => (u.newState === undefined ? [] : [u.newState]));
  }

  async function keyLineOf(w: World, taskId: number): Promise<boolean> {
    return (await w.authorizedKeys.find(taskId)) !== undefined;
  }

  it('copies a tree of large and small files byte for byte, with progress that only grows up to 100', async () => {
    const w = await newWorld();
    const project = makeProject(w.sourceRoot, 32);
    const taskId = nextTask++;
    await w.startTransfer(taskId);
    expect(await keyLineOf(w, taskId)).toBe(true);

    await w.waitForState(taskId, 'SUCCESS');
    await w.a.tick(); // the core hears the end on the next push

    expect(treeDigest(join(w.destinationRoot, 'inbox', 'project'))).toEqual(treeDigest(project));
    expect(listTree(join(w.destinationRoot, 'inbox')).filter((p) => p.includes('.~tmp~'))).toEqual([]);
    const progress = progressOf(w, taskId);
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'SUCCESS']);
    // The key is revoked at the destination and deleted at the source.
    expect(await keyLineOf(w, taskId)).toBe(false);
    expect(existsSync(join(w.keyDir, `task-${taskId}`))).toBe(false);
  });

  it('pauses in the middle of a large file and resumes inside the kept partial file', async () => {
    const w = await newWorld({ bandwidthLimitKiBps: 8192 });
    const project = makeProject(w.sourceRoot, 32);
    const taskId = nextTask++;
    await w.startTransfer(taskId);
    await waitFor(() => (w.a.getTask(taskId)?.progress ?? 0) > 0, 15_000, () => 'first progress');
    const pid = w.a.getTask(taskId)?.pid as number;

    await w.a.control(taskId, 'pause');
    expect(w.a.getTask(taskId)?.state).toBe('PAUSED');
    expect(groupMembers(pid)).toEqual([]);
    const partial = join(w.destinationRoot, 'inbox', 'project', '.~tmp~', 'big.bin');
    await waitFor(() => existsSync(partial) && statSync(partial).size > 0, 10_000, () => 'the partial file at the destination');
    expect(statSync(partial).size).toBeLessThan(32 * 1024 * 1024);
    // Nothing half-written under a final name.
    expect(existsSync(join(w.destinationRoot, 'inbox', 'project', 'big.bin'))).toBe(false);
    const pausedAt = w.a.getTask(taskId)?.progress ?? 0;

    await w.a.control(taskId, 'resume');
    await w.waitForState(taskId, 'SUCCESS');
    await w.a.tick();

    expect(treeDigest(join(w.destinationRoot, 'inbox', 'project'))).toEqual(treeDigest(project));
    const progress = progressOf(w, taskId);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(progress.at(-1)).toBe(100);
    expect(Math.min(...progress.filter((p) => p >= pausedAt))).toBeGreaterThanOrEqual(pausedAt);
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
  });

  it('cancel stops rsync and ssh, revokes the key and leaves no half files', async () => {
    const w = await newWorld({ bandwidthLimitKiBps: 8192 });
    makeProject(w.sourceRoot, 32);
    const taskId = nextTask++;
    await w.startTransfer(taskId);
    await waitFor(() => (w.a.getTask(taskId)?.progress ?? 0) > 0, 15_000, () => 'first progress');
    const pid = w.a.getTask(taskId)?.pid as number;
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
    const w = await newWorld({ bandwidthLimitKiBps: 8192 });
    const project = makeProject(w.sourceRoot, 32);
    const taskId = nextTask++;
    await w.startTransfer(taskId);
    await waitFor(() => (w.a.getTask(taskId)?.progress ?? 0) > 0, 15_000, () => 'first progress');
    const pid = w.a.getTask(taskId)?.pid as number;

    process.kill(pid, 'SIGKILL');

    await waitFor(() => statesOf(w, taskId).includes('PAUSED'), 10_000, () => 'PAUSED to reach the core');
    const paused = w.core.updatesFor(taskId).find((u) => u.newState === 'PAUSED');
    expect(paused?.newStatus).toMatch(/killed by SIGKILL; retrying in/);
    await w.waitForState(taskId, 'SUCCESS');
    await w.a.tick();
    expect(treeDigest(join(w.destinationRoot, 'inbox', 'project'))).toEqual(treeDigest(project));
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
    const progress = progressOf(w, taskId);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  });

  it('a module restarted mid-transfer adopts the rsync still running and finishes the task', async () => {
    const w = await newWorld({ bandwidthLimitKiBps: 8192 });
    const project = makeProject(w.sourceRoot, 32);
    const taskId = nextTask++;
    await w.startTransfer(taskId);
    await waitFor(() => (w.a.getTask(taskId)?.progress ?? 0) > 0, 15_000, () => 'first progress');
    const pid = w.a.getTask(taskId)?.pid as number;

    await w.restartA();

    expect(w.a.getTask(taskId)).toMatchObject({ state: 'RUNNING', pid });
    await w.waitForState(taskId, 'SUCCESS');
    await w.a.tick();
    expect(treeDigest(join(w.destinationRoot, 'inbox', 'project'))).toEqual(treeDigest(project));
    expect(statesOf(w, taskId)).toEqual(['RUNNING', 'SUCCESS']);
    expect(await keyLineOf(w, taskId)).toBe(false);
  });

  it('a module restarted after its rsync died runs the transfer again and finishes it', async () => {
    const w = await newWorld({ bandwidthLimitKiBps: 8192 });
    const project = makeProject(w.sourceRoot, 32);
    const taskId = nextTask++;
    await w.startTransfer(taskId);
    await waitFor(() => (w.a.getTask(taskId)?.progress ?? 0) > 0, 15_000, () => 'first progress');
    const pid = w.a.getTask(taskId)?.pid as number;

    await w.restartA(async () => {
      signalGroup(pid, 'SIGKILL');
      await waitFor(() => groupMembers(pid).length === 0, 5000, () => 'the old group to die');
    });

    const resumed = w.a.getTask(taskId);
    expect(resumed?.state).toBe('RUNNING');
    expect(resumed?.pid).not.toBe(pid);
    await w.waitForState(taskId, 'SUCCESS');
    await w.a.tick();
    expect(treeDigest(join(w.destinationRoot, 'inbox', 'project'))).toEqual(treeDigest(project));
    const progress = progressOf(w, taskId);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  });

  it('with checksum verification a same-size, same-time file with other content is corrected', async () => {
    const w = await newWorld({ verifyChecksums: true });
    const project = makeProject(w.sourceRoot, 1);
    const first = nextTask++;
    await w.startTransfer(first);
    await w.waitForState(first, 'SUCCESS');
    // Corrupt the copy without changing its size or modification time: only a checksum sees it.
    const copy = join(w.destinationRoot, 'inbox', 'project', 'notes', 'readme.txt');
    const { mtime } = statSync(copy);
    writeFileSync(copy, 'HELLO FROM PROVIDER A\n');
    utimesSync(copy, mtime, mtime);

    const second = nextTask++;
    await w.startTransfer(second);
    await w.waitForState(second, 'SUCCESS');
    expect(treeDigest(join(w.destinationRoot, 'inbox', 'project'))).toEqual(treeDigest(project));
  });
});
