/**
 * Who may call what is decided by the key each caller proved in the handshake, never by a field
 * of the request: only a task's source provider updates it, only the core forwards and controls
 * transfers, only registered providers negotiate, and only known users reach the core.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '../../../src/crypto/identity.js';
import { GetTask, TransferFiles, UpdateTransferTask } from '../../../src/transfer/rpc/core-methods.js';
import { ControlTransfer, NegotiateTransfer, ReleaseTransfer, TransferFilesForProvider } from '../../../src/transfer/rpc/provider-methods.js';
import { createMemoryTransferNetwork, type MemoryTransferNetwork } from './memory-network.js';

let n: MemoryTransferNetwork | undefined;
afterEach(async () => {
  await n?.close();
  n = undefined;
});

/** A network where alice has one INITIATED task; modules do not poll on their own. */
async function withTask(): Promise<{ network: MemoryTransferNetwork; taskId: number }> {
  n = await createMemoryTransferNetwork({ pollIntervalMs: 3_600_000 });
  const [result] = await n.client('alice').transfer(['/1001/project'], '/2002/inbox');
  if (!result?.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
  return { network: n, taskId: result.taskId };
}

describe('identities on the transfer network', () => {
  it('refuses an update from a provider that is not the task\'s source, and changes nothing', async () => {
    const { network, taskId } = await withTask();
    const before = await network.coreStore.get(taskId);
    const eventsBefore = network.events.length;

    const fromB = await network.raw('core', network.identities.b).call(UpdateTransferTask, { items: [{ taskId, newState: 'SUCCESS' }] });

    expect(fromB.items).toEqual([{ outcome: 'refused', code: 'PermissionDenied', reason: `provider "b" is not the source provider of task ${taskId}` }]);
    expect(await network.coreStore.get(taskId)).toEqual(before);
    expect(network.events.length).toBe(eventsBefore);
  });

  it('accepts the same update from the source provider\'s key', async () => {
    const { network, taskId } = await withTask();
    const fromA = await network.raw('core', network.identities.a).call(UpdateTransferTask, { items: [{ taskId, newState: 'RUNNING', newProgress: 5, newStatus: null }] });
    expect(fromA.items).toEqual([{ outcome: 'applied' }]);
    expect(await network.coreStore.get(taskId)).toMatchObject({ state: 'RUNNING', progress: 5 });
  });

  it('refuses updates as a whole from keys that are no provider\'s: a user, a stranger, the core itself', async () => {
    const { network, taskId } = await withTask();
    const alice = Identity.generate();
    network.users.add(alice.id, 'alice');
    const before = await network.coreStore.get(taskId);
    for (const key of [alice, Identity.generate(), network.identities.core]) {
      await expect(network.raw('core', key).call(UpdateTransferTask, { items: [{ taskId, newState: 'SUCCESS' }] })).rejects.toMatchObject({
        name: 'PermissionDeniedError',
        message: expect.stringMatching(/not a registered provider/),
      });
    }
    expect(await network.coreStore.get(taskId)).toEqual(before);
  });

  it('lets only the core forward transfers to a provider and control them', async () => {
    const { network, taskId } = await withTask();
    const forward = { items: [{ taskId: taskId + 1, sourcePath: '/1001/second', destinationPath: '/2002/inbox', destinationProvider: 'b' }] };
    for (const key of [network.identities.b, Identity.generate()]) {
      const a = network.raw('a', key);
      await expect(a.call(TransferFilesForProvider, forward)).rejects.toMatchObject({ name: 'PermissionDeniedError' });
      await expect(a.call(ControlTransfer, { taskId, control: 'cancel' })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    }
    expect(network.a.getTask(taskId + 1)).toBeUndefined();
    expect(network.a.getTask(taskId)?.state).toBe('INITIATED');
    expect(network.plugin.calls).toEqual([]);
  });

  it('lets only registered providers negotiate or release, each as itself', async () => {
    const { network, taskId } = await withTask();
    const stranger = network.raw('b', Identity.generate());
    const negotiation = { taskId, pluginType: 'rsync', destinationPath: '/2002/inbox', entryName: 'project' };
    await expect(stranger.call(NegotiateTransfer, negotiation)).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    await expect(stranger.call(ReleaseTransfer, { taskId, outcome: 'HALTED' })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    expect(network.receiver.released).toEqual([]);

    // "a" asks as itself: the destination has no key yet, so it is not ready — but it answers.
    const answer = await network.raw('b', network.identities.a).call(NegotiateTransfer, negotiation);
    expect(answer).toMatchObject({ outcome: 'refused', retryable: true });
  });

  it('refuses a client key that belongs to no user, and hides other users\' tasks', async () => {
    const { network, taskId } = await withTask();
    const nobody = network.raw('core', Identity.generate());
    await expect(nobody.call(TransferFiles, { items: [{ sourcePath: '/1001/second' }], destinationPath: '/2002/inbox' })).rejects.toMatchObject({
      name: 'UnauthenticatedError',
    });
    await expect(nobody.call(GetTask, { taskId })).rejects.toMatchObject({ name: 'UnauthenticatedError' });
    const bob = network.client('bob');
    await expect(bob.getTask(taskId)).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(bob.pause(taskId)).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(network.a.getTask(taskId + 1)).toBeUndefined();
  });
});
