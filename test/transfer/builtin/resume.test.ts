/**
 * What only the built-in plugin promises beyond the shared suite: a resumed run sends only the
 * bytes the destination lacks (counted on the wire), a kept partial file that no longer matches
 * the source is caught by SHA-256 and sent again, and a key the destination did not authorize
 * fails the task instead of retrying it.
 */
import { openSync, closeSync, writeSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../../../src/crypto/identity.js';
import { formatTaskPublicKey } from '../../../src/transfer/builtin/task-key.js';
import { createWorld, makeProject, treeDigest, waitFor, type World } from '../integration/world.js';
import { builtinKit } from './kit.js';

const LARGE_MIB = 32;

describe('the built-in plugin resumes and verifies', () => {
  let root: string;
  let world: World | undefined;
  const kit = builtinKit();

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'handoff-builtin-resume-'));
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A throttled transfer paused once its large file is well under way. */
  async function pausedMidFile(taskId: number) {
    const w = (world = await createWorld(kit, mkdtempSync(join(root, 'case-')), { bandwidthLimitKiBps: 8192 }));
    const project = makeProject(w.sourceRoot, LARGE_MIB);
    await w.startTransfer(taskId);
    await waitFor(() => (w.a.getTask(taskId)?.progress ?? 0) > 20, 15_000, () => 'progress past 20 %');
    await w.a.control(taskId, 'pause');
    const partial = kit.partialPath(join(w.destinationRoot, 'inbox', 'project'), 'big.bin', taskId);
    return { w, project, partial, relay: kit.opened.at(-1)!.relay };
  }

  it('a resumed run sends only what the destination lacks', async () => {
    const { w, project, partial, relay } = await pausedMidFile(1);
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(0);
    const total = Object.keys(treeDigest(project)).reduce((sum, p) => sum + statSync(join(project, p)).size, 0);
    const before = relay.bytesToTarget;

    await w.a.control(1, 'resume');
    await w.waitForState(1, 'SUCCESS');

    const sent = relay.bytesToTarget - before;
    expect(sent).toBeGreaterThanOrEqual(total - kept);
    // Framing and the handshake cost a little; resending the kept part would cost `kept` more.
    expect(sent).toBeLessThan(total - kept + 256 * 1024);
    expect(treeDigest(join(w.destinationRoot, 'inbox', 'project'))).toEqual(treeDigest(project));
  });

  it('a kept partial file that no longer matches the source is caught by SHA-256 and sent again in full', async () => {
    const { w, project, partial } = await pausedMidFile(2);
    const fd = openSync(partial, 'r+');
    writeSync(fd, Buffer.from('damaged on the destination disk'), 0, undefined, 0);
    closeSync(fd);

    await w.a.control(2, 'resume');
    await w.waitForState(2, 'SUCCESS');

    expect(treeDigest(join(w.destinationRoot, 'inbox', 'project'))).toEqual(treeDigest(project));
    expect(w.errors).toEqual([]);
  });

  it('a key the destination did not authorize fails the task instead of retrying it', async () => {
    const w = (world = await createWorld(kit, mkdtempSync(join(root, 'case-'))));
    makeProject(w.sourceRoot, 1);
    const [accepted] = await w.a.acceptTransfers([{ taskId: 3, sourcePath: '/project', destinationPath: '/inbox', destinationProvider: 'b' }]);
    expect(accepted?.ok).toBe(true);
    await w.a.issueTransferKey(3);
    // Someone else's key reaches the destination for this task.
    await w.b.authorizeTransferKey({ taskId: 3, publicKey: formatTaskPublicKey(Identity.generate().id), sourceProvider: 'a', destinationPath: '/inbox' });

    await w.waitForState(3, 'FAILURE');
    expect(w.a.getTask(3)?.lastError ?? w.a.getTask(3)?.status).toMatch(/refused the task's key/);
  });
});
