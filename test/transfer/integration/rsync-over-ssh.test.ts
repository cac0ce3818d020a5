/**
 * The rsync plugin between two providers over a real sshd: the stories every plugin passes
 * (plugin-suite.ts), with rsync's own checks — no process of a paused or canceled run is left,
 * a restarted module adopts the rsync still running, and re-runs one that died meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { groupMembers, signalGroup } from '../../../src/transfer/rsync/process-group.js';
import { describeWith } from '../../support/env.js';
import { startSshd, sshUnavailableReason, type SshServer } from '../../../src/testing/sshd.js';
import { pluginSuite, tmpfsUnavailableReason } from './plugin-suite.js';
import { rsyncKit } from './rsync-kit.js';
import { createWorld, makeProject, processesMentioning, treeDigest, waitFor, type PluginKit, type World } from './world.js';

describeWith('sshd, rsync and rrsync', sshUnavailableReason(), 'a transfer between two providers over rsync and SSH', () => {
  let sshd: SshServer;
  let kit: PluginKit;

  beforeAll(async () => {
    sshd = await startSshd();
    kit = rsyncKit(sshd);
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  const tmpfs = tmpfsUnavailableReason();
  if (tmpfs !== undefined) console.warn(`skipping the full-destination story of the rsync plugin: ${tmpfs}`);

  describe('the stories every plugin passes', () => {
    pluginSuite(() => kit, {
      ...(tmpfs === undefined ? {} : { tmpfsUnavailable: tmpfs }),
      afterPause: (_w, _taskId, pid) => {
        expect(groupMembers(pid as number)).toEqual([]);
      },
      afterCancel: (w, taskId, pid) => {
        // rsync and ssh are gone: nothing runs with the task's key any more.
        expect(groupMembers(pid as number)).toEqual([]);
        expect(signalGroup(pid as number, 0)).toBe(false);
        expect(processesMentioning(join(w.keyDir, `task-${taskId}`, 'key'))).toEqual([]);
      },
      afterRestart: (w, taskId, pid) => {
        // The rsync that ran before the restart was adopted, not started again.
        expect(w.a.getTask(taskId)?.pid).toBe(pid);
      },
    });
  });

  describe('rsync processes across module restarts', () => {
    let root: string;
    let world: World | undefined;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'handoff-rsync-'));
    });
    afterEach(async () => {
      const errors = world?.errors ?? [];
      await world?.close();
      world = undefined;
      expect(errors).toEqual([]);
    });
    afterAll(() => {
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('a running transfer has rsync and ssh running with the task key', async () => {
      const w = (world = await createWorld(kit, mkdtempSync(join(root, 'case-')), { bandwidthLimitKiBps: 8192 }));
      makeProject(w.sourceRoot, 32);
      await w.startTransfer(1);
      await waitFor(() => (w.a.getTask(1)?.progress ?? 0) > 0, 15_000, () => 'first progress');
      expect(processesMentioning(join(w.keyDir, 'task-1', 'key')).length).toBeGreaterThanOrEqual(2);
      await w.a.control(1, 'cancel');
    });

    it('a module restarted after its rsync died runs the transfer again and finishes it', async () => {
      const w = (world = await createWorld(kit, mkdtempSync(join(root, 'case-')), { bandwidthLimitKiBps: 8192 }));
      const project = makeProject(w.sourceRoot, 32);
      await w.startTransfer(2);
      await waitFor(() => (w.a.getTask(2)?.progress ?? 0) > 0, 15_000, () => 'first progress');
      const pid = w.a.getTask(2)?.pid as number;

      await w.restartA(async () => {
        signalGroup(pid, 'SIGKILL');
        await waitFor(() => groupMembers(pid).length === 0, 5000, () => 'the old group to die');
      });

      const resumed = w.a.getTask(2);
      expect(resumed?.state).toBe('RUNNING');
      expect(resumed?.pid).not.toBe(pid);
      await w.waitForState(2, 'SUCCESS');
      expect(treeDigest(join(w.destinationRoot, 'inbox', 'project'))).toEqual(treeDigest(project));
    });
  });
});
