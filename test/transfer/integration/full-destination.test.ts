/**
 * A destination that runs out of space, for real: the receiving folder is a 4 MiB tmpfs, the
 * transfer needs 16 MiB. rsync fails with ENOSPC, the task is PAUSED as out of space (not
 * failed), and once the destination has room again the module's retry finishes it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSshd, sshUnavailableReason, type SshServer } from '../../../src/testing/sshd.js';
import { describeWith } from '../../support/env.js';
import { createWorld, makeProject, treeDigest, waitFor, type World } from './world.js';

/** Why a tmpfs cannot be mounted here (not root, no permission), or undefined when it can. */
function tmpfsUnavailableReason(): string | undefined {
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

const reason = sshUnavailableReason() ?? tmpfsUnavailableReason();

describeWith('sshd, rsync and a tmpfs mount', reason, 'a destination that runs out of space', () => {
  let sshd: SshServer;
  let root: string;
  let world: World | undefined;
  let inbox: string | undefined;

  beforeAll(async () => {
    sshd = await startSshd();
    root = mkdtempSync(join(tmpdir(), 'handoff-full-'));
  });
  afterAll(async () => {
    await world?.close();
    if (inbox) execFileSync('umount', ['-l', inbox], { stdio: 'ignore' });
    await sshd?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('pauses the task as out of space, then finishes it once the destination has room', async () => {
    world = await createWorld(sshd, mkdtempSync(join(root, 'case-')));
    const w = world;
    inbox = join(w.destinationRoot, 'inbox');
    mkdirSync(inbox, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', inbox]);
    const project = makeProject(w.sourceRoot, 16);

    await w.startTransfer(1);
    await waitFor(() => w.a.getTask(1)?.pauseCause === 'out-of-space', 30_000, () => `out-of-space pause (task: ${JSON.stringify(w.a.getTask(1))})`);
    await w.a.tick();
    const paused = w.core.updatesFor(1).find((u) => u.newState === 'PAUSED');
    expect(paused?.newStatus).toMatch(/out of space/);
    expect(w.core.updatesFor(1).some((u) => u.newState === 'FAILURE')).toBe(false);

    // The provider frees space (here: grows the volume); the next retry goes through.
    execFileSync('mount', ['-o', 'remount,size=64m', 'tmpfs', inbox]);
    await w.waitForState(1, 'SUCCESS');
    expect(treeDigest(join(inbox, 'project'))).toEqual(treeDigest(project));
  });
});
