/**
 * The whole story over TCP with real components: a core, two integration modules and a client,
 * each its own RPC server or client with its own key; the key exchange in granted sessions;
 * rsync over a real sshd; progress pushed to the core and followed through the core's events;
 * pause, resume and cancel asked of the core by the user.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { tcpTransport } from '../../../src/transport/tcp.js';
import { AuthorizedKeysFile } from '../../../src/transfer/keys/authorized-keys-file.js';
import { TransferKeyring } from '../../../src/transfer/keys/keyring.js';
import { rsyncPlugin } from '../../../src/transfer/rsync/plugin.js';
import { groupMembers } from '../../../src/transfer/rsync/process-group.js';
import { rsyncReceiver } from '../../../src/transfer/rsync/receiver.js';
import type { TaskState, TransferTask } from '../../../src/transfer/types.js';
import { describeWith } from '../../support/env.js';
import { startSshd, sshUnavailableReason, type SshServer } from '../../../src/testing/sshd.js';
import { listTree, makeProject, processesMentioning, treeDigest } from '../integration/world.js';
import { createTransferNetwork, waitFor, type TransferNetwork } from './network.js';

describeWith('sshd, rsync and rrsync', sshUnavailableReason(), 'a transfer between providers over TCP, with rsync over SSH', () => {
  let sshd: SshServer;
  let root: string;
  let network: TransferNetwork | undefined;
  let dir: string;
  let keyDir: string;
  let authorizedKeys: AuthorizedKeysFile;

  beforeAll(async () => {
    sshd = await startSshd();
    root = mkdtempSync(join(tmpdir(), 'handoff-rpc-rsync-'));
    authorizedKeys = new AuthorizedKeysFile(sshd.authorizedKeysPath);
  });
  afterEach(async () => {
    const errors = network?.errors ?? [];
    await network?.close();
    network = undefined;
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await sshd?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function open(): Promise<TransferNetwork> {
    dir = mkdtempSync(join(root, 'case-'));
    keyDir = join(dir, 'a-keys');
    mkdirSync(join(dir, 'b', '2002', 'inbox'), { recursive: true });
    const tcp = tcpTransport();
    network = await createTransferNetwork({
      transportFor: () => tcp,
      listenAddress: () => '127.0.0.1:0',
      plugin: rsyncPlugin({ stateDir: join(dir, 'a-state'), keyring: new TransferKeyring({ dir: keyDir }), bandwidthLimitKiBps: 8192, stopGraceMs: 3000 }),
      receiver: rsyncReceiver({
        authorizedKeys,
        ssh: { host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostKey },
        resolveDestination: (p) => join(dir, 'b', p),
        sourceAddresses: () => ['127.0.0.1'],
        rrsync: sshd.rrsync,
      }),
      resolveSource: (p) => join(dir, 'a', p),
      pollIntervalMs: 100,
    });
    return network;
  }

  function seen(n: TransferNetwork, taskId: number): TransferTask[] {
    return n.events.filter((t) => t.id === taskId);
  }

  function statesOf(n: TransferNetwork, taskId: number): TaskState[] {
    const states = seen(n, taskId).map((t) => t.state);
    return states.filter((s, i) => i === 0 || s !== states[i - 1]);
  }

  async function runningWithProgress(n: TransferNetwork, taskId: number): Promise<number> {
    await waitFor(() => seen(n, taskId).some((t) => t.state === 'RUNNING' && t.progress > 0), () => `task ${taskId} to report progress to the core`, 20_000);
    return n.a.getTask(taskId)?.pid as number;
  }

  it('moves a tree of large and small files, with progress at the core, a pause and a resume through the core', async () => {
    const n = await open();
    const project = makeProject(join(dir, 'a', '1001'), 24);
    const alice = n.client('alice');

    const [result] = await alice.transfer(['/1001/project'], '/2002/inbox', { idempotencyKey: 'demo-1' });
    if (!result?.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
    const taskId = result.taskId;
    const exchange = await alice.exchangeKeys(taskId);
    expect(exchange.publicKey).toMatch(/^ssh-ed25519 /);
    expect(await authorizedKeys.find(taskId)).toBeDefined();

    const pid = await runningWithProgress(n, taskId);
    const paused = await alice.pause(taskId);
    expect(paused.pausedByUser).toBe(true);
    await waitFor(() => seen(n, taskId).at(-1)?.state === 'PAUSED', () => 'PAUSED at the core');
    expect(groupMembers(pid)).toEqual([]);
    expect((await alice.getTask(taskId)).progress).toBeLessThan(100);
    // Nothing half-written under a final name while paused.
    expect(existsSync(join(dir, 'b', '2002', 'inbox', 'project', 'big.bin'))).toBe(false);

    await alice.resume(taskId);
    await waitFor(() => seen(n, taskId).at(-1)?.state === 'SUCCESS', () => 'SUCCESS at the core', 30_000);

    expect(treeDigest(join(dir, 'b', '2002', 'inbox', 'project'))).toEqual(treeDigest(project));
    const progress = seen(n, taskId).map((t) => t.progress);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(progress.some((p) => p > 0 && p < 100)).toBe(true);
    expect(progress.at(-1)).toBe(100);
    expect(statesOf(n, taskId)).toEqual(['INITIATED', 'RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
    expect(await alice.getTask(taskId)).toMatchObject({ state: 'SUCCESS', progress: 100, pausedByUser: false });
    // Revoked at the destination, deleted at the source.
    await waitFor(async () => (await authorizedKeys.find(taskId)) === undefined, () => 'the key to be revoked');
    expect(existsSync(join(keyDir, `task-${taskId}`))).toBe(false);
  });

  it('a cancel through the core stops rsync and ssh, revokes the key and leaves no half files', async () => {
    const n = await open();
    makeProject(join(dir, 'staging'), 24);
    mkdirSync(join(dir, 'a', '1001'), { recursive: true });
    renameSync(join(dir, 'staging', 'project'), join(dir, 'a', '1001', 'second'));
    const alice = n.client('alice');

    const [result] = await alice.transfer(['/1001/second'], '/2002/inbox');
    if (!result?.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
    const taskId = result.taskId;
    await alice.exchangeKeys(taskId);
    const pid = await runningWithProgress(n, taskId);
    const keyPath = join(keyDir, `task-${taskId}`, 'key');
    expect(processesMentioning(keyPath).length).toBeGreaterThanOrEqual(2);

    const canceled = await alice.cancel(taskId);

    expect(canceled).toMatchObject({ state: 'HALTED', failureReason: 'canceled by the user' });
    expect(groupMembers(pid)).toEqual([]);
    expect(processesMentioning(keyPath)).toEqual([]);
    expect(await authorizedKeys.find(taskId)).toBeUndefined();
    expect(existsSync(keyPath)).toBe(false);
    const destination = join(dir, 'b', '2002', 'inbox');
    expect(listTree(destination).filter((p) => !statSync(join(destination, p)).isDirectory())).toEqual([]);
    expect(listTree(destination).filter((p) => p.includes('.~tmp~'))).toEqual([]);
    await waitFor(() => n.a.getTask(taskId)?.releasePending === false, () => 'the source to finish its clean-up');
    expect(statesOf(n, taskId)).toEqual(['INITIATED', 'RUNNING', 'HALTED']);
  });
});
