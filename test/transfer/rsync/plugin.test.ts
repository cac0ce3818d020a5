import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuthorizedKeysFile } from '../../../src/transfer/keys/authorized-keys-file.js';
import { TransferKeyring } from '../../../src/transfer/keys/keyring.js';
import type { PluginTask, PluginTransferState } from '../../../src/transfer/plugin.js';
import { rsyncPlugin } from '../../../src/transfer/rsync/plugin.js';
import { groupMembers, readCmdline } from '../../../src/transfer/rsync/process-group.js';
import type { TaskId } from '../../../src/transfer/types.js';
import { describeWith } from '../../support/env.js';
import { startSshd, sshUnavailableReason, type SshServer } from '../../../src/testing/sshd.js';
import { makeProject, treeDigest, waitFor } from '../integration/world.js';

describeWith('sshd, rsync and rrsync', sshUnavailableReason(), 'the rsync plugin', () => {
  let sshd: SshServer;
  let root: string;
  let nextTask = 200;

  beforeAll(async () => {
    sshd = await startSshd();
    root = mkdtempSync(join(tmpdir(), 'handoff-rsync-plugin-'));
  });
  afterAll(async () => {
    await sshd?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  function setup(dirName: string, bandwidthLimitKiBps?: number) {
    const dir = mkdtempSync(join(root, 'case-'));
    const keyDir = join(dir, dirName);
    const keyring = new TransferKeyring({ dir: keyDir });
    const plugin = rsyncPlugin({ stateDir: join(keyDir, 'state'), keyring, ...(bandwidthLimitKiBps ? { bandwidthLimitKiBps } : {}) });
    const destination = join(dir, 'inbox');
    mkdirSync(destination);
    const project = makeProject(dir, 8);
    const authorizedKeys = new AuthorizedKeysFile(sshd.authorizedKeysPath);
    const taskId: TaskId = nextTask++;
    const task: PluginTask = {
      taskId,
      sourcePath: project,
      destinationProvider: 'b',
      destinationPath: '/inbox',
      parameters: { host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostKey, remotePath: '.' },
      verifyChecksums: false,
    };
    const authorize = async (): Promise<void> => {
      const publicKey = await keyring.issue(taskId);
      await authorizedKeys.authorize({ taskId, publicKey, destinationDir: destination, from: ['127.0.0.1'], expiresAt: Date.now() + 3600_000, rrsync: sshd.rrsync });
    };
    return { dir, keyDir, keyring, plugin, destination, project, task, authorize };
  }

  async function settle(read: () => Promise<PluginTransferState>): Promise<PluginTransferState> {
    let state = await read();
    await waitFor(async () => (state = await read()).state !== 'RUNNING', 20_000, () => `the run to end (${JSON.stringify(state)})`);
    return state;
  }

  it('runs rsync and ssh directly, without a shell, even when its paths hold spaces and shell syntax', async () => {
    const { dir, keyDir, plugin, destination, project, task, authorize } = setup('keys; touch PWNED $(touch PWNED2) `touch PWNED3`', 4096);
    await authorize();
    const { pid } = await plugin.start(task);

    await waitFor(() => groupMembers(pid as number).length >= 2, 5000, () => 'rsync to start ssh');
    const programs = groupMembers(pid as number).map((p) => basename(readCmdline(p)?.[0] ?? '?'));
    expect(new Set(programs)).toEqual(new Set(['rsync', 'ssh']));
    const argv = readCmdline(pid as number) ?? [];
    const e = argv[argv.indexOf('-e') + 1] ?? '';
    expect(e).toContain(`'${join(keyDir, `task-${task.taskId}`, 'key')}'`);

    expect(await settle(() => plugin.getState(task.taskId))).toEqual({ state: 'SUCCESS', progress: 100 });
    expect(treeDigest(join(destination, 'project'))).toEqual(treeDigest(project));
    for (const where of [dir, keyDir, process.cwd(), sshd.dir]) {
      expect(readdirSync(where).filter((n) => n.startsWith('PWNED'))).toEqual([]);
    }
    await plugin.release(task.taskId);
    expect(existsSync(join(keyDir, `task-${task.taskId}`))).toBe(false);
  });

  it('a key the destination never authorized ends the run as a fatal failure', async () => {
    const { plugin, task, keyring } = setup('keys');
    await keyring.issue(task.taskId);
    await plugin.start(task);
    const state = await settle(() => plugin.getState(task.taskId));
    expect(state.state).toBe('FAILURE');
    expect(state.interruption).toEqual({ kind: 'fatal', reason: expect.stringMatching(/refused the SSH connection: .*Permission denied \(publickey\)/) });
  });

  it('an unreachable destination is a retryable interruption', async () => {
    const { plugin, task, authorize } = setup('keys');
    await authorize();
    await plugin.start({ ...task, parameters: { ...task.parameters, port: 1 } });
    const state = await settle(() => plugin.getState(task.taskId));
    expect(state.state).toBe('PAUSED');
    // rsync exits 255 or 12 here, depending on whether it notices ssh's exit or the closed pipe first.
    expect(state.interruption).toEqual({ kind: 'retryable', reason: expect.stringMatching(/Connection refused/) });
  });

  it('pause stops the whole process group and resume finishes the transfer', async () => {
    const { plugin, task, authorize, destination, project } = setup('keys', 2048);
    await authorize();
    const { pid } = await plugin.start(task);
    await waitFor(async () => (await plugin.getState(task.taskId)).progress > 0, 15_000, () => 'first progress');

    await plugin.pause(task.taskId);
    expect(groupMembers(pid as number)).toEqual([]);
    const paused = await plugin.getState(task.taskId);
    expect(paused.state).toBe('PAUSED');
    expect(paused.interruption).toBeUndefined();

    await plugin.resume(task.taskId);
    expect(await settle(() => plugin.getState(task.taskId))).toEqual({ state: 'SUCCESS', progress: 100 });
    expect(treeDigest(join(destination, 'project'))).toEqual(treeDigest(project));
  });
});
