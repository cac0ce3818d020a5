/**
 * The story of a transfer when every party is its own node on a network: the user talks to the
 * core, the core to the source provider, the client to both providers in granted sessions, the
 * providers to each other, and the source back to the core — each call over RPC.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskState } from '../../../src/transfer/types.js';
import { createMemoryTransferNetwork, type MemoryTransferNetwork } from './memory-network.js';
import { waitFor } from './network.js';

let n: MemoryTransferNetwork | undefined;
afterEach(async () => {
  await n?.close();
  n = undefined;
});

function statesOf(network: MemoryTransferNetwork, taskId: number): TaskState[] {
  const states = network.events.filter((t) => t.id === taskId).map((t) => t.state);
  return states.filter((s, i) => i === 0 || s !== states[i - 1]);
}

describe('a transfer between providers over the network', () => {
  it('goes from request to success: forwarded, keys exchanged in sessions, progress pushed to the core', async () => {
    n = await createMemoryTransferNetwork();
    const network = n;
    const alice = network.client('alice');

    const [result] = await alice.transfer(['/1001/project'], '/2002/inbox', { idempotencyKey: 'submit-1' });
    if (!result?.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
    const taskId = result.taskId;
    // The core forwarded it to the source provider, which accepted it with its plugin's capabilities.
    expect(network.a.getTask(taskId)).toMatchObject({ state: 'INITIATED', sourcePath: '/1001/project', destinationProvider: 'b', destinationPath: '/2002/inbox' });
    expect(await alice.getTask(taskId)).toMatchObject({ id: taskId, initiatedBy: 'alice', state: 'INITIATED', capabilities: { canPause: true } });
    // A retry with the same idempotency key finds the same task.
    expect(await alice.transfer(['/1001/project'], '/2002/inbox', { idempotencyKey: 'submit-1' })).toEqual([{ ok: true, taskId }]);

    const exchange = await alice.exchangeKeys(taskId);
    expect(exchange).toMatchObject({ taskId, source: 'a', destination: 'b' });
    expect(network.receiver.granted.get(taskId)).toEqual({ taskId, publicKey: exchange.publicKey, sourceProvider: 'a', destinationPath: '/2002/inbox' });

    // The source negotiates with the destination over RPC and starts; the core hears of it.
    await waitFor(() => network.plugin.calls.includes(`start ${taskId}`), () => 'the plugin to start');
    network.plugin.report(taskId, { state: 'RUNNING', progress: 40 });
    await waitFor(async () => (await alice.getTask(taskId)).progress === 40, () => 'progress 40 at the core');

    expect((await alice.pause(taskId)).pausedByUser).toBe(true);
    expect(network.plugin.calls).toContain(`pause ${taskId}`);
    await waitFor(async () => (await alice.getTask(taskId)).state === 'PAUSED', () => 'PAUSED at the core');
    await alice.resume(taskId);
    await waitFor(async () => (await alice.getTask(taskId)).state === 'RUNNING', () => 'RUNNING again at the core');

    network.plugin.report(taskId, { state: 'SUCCESS', progress: 100 });
    await waitFor(async () => (await alice.getTask(taskId)).state === 'SUCCESS', () => 'SUCCESS at the core');
    await waitFor(() => network.receiver.released.some((r) => r.taskId === taskId), () => 'the destination to be released');

    expect(statesOf(network, taskId)).toEqual(['INITIATED', 'RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS']);
    expect(network.receiver.released).toEqual([{ taskId, outcome: 'SUCCESS', target: { destinationPath: '/2002/inbox', entryName: 'project' } }]);
    const page = await alice.browse({ since: 0 });
    expect(page.tasks.map((t) => [t.id, t.state, t.progress])).toEqual([[taskId, 'SUCCESS', 100]]);
    expect(network.errors).toEqual([]);
  });

  it('a cancel through the core stops the source and releases the destination', async () => {
    n = await createMemoryTransferNetwork();
    const network = n;
    const alice = network.client('alice');
    const [result] = await alice.transfer(['/1001/second'], '/2002/inbox');
    if (!result?.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
    const taskId = result.taskId;
    await alice.exchangeKeys(taskId);
    await waitFor(() => network.plugin.calls.includes(`start ${taskId}`), () => 'the plugin to start');

    const canceled = await alice.cancel(taskId);

    expect(canceled).toMatchObject({ state: 'HALTED', failureReason: 'canceled by the user' });
    expect(network.plugin.calls).toContain(`cancel ${taskId}`);
    expect(network.receiver.released).toEqual([{ taskId, outcome: 'HALTED', target: { destinationPath: '/2002/inbox', entryName: 'second' } }]);
    expect(network.a.getTask(taskId)).toMatchObject({ state: 'HALTED', releasePending: false });
    expect(network.errors).toEqual([]);
  });

  it('refuses items one by one with the check that failed, and shows users only their own tasks', async () => {
    n = await createMemoryTransferNetwork();
    const network = n;
    const alice = network.client('alice');
    const bob = network.client('bob');
    const results = await alice.transfer(['/1001/project', '/1001/missing', '/2002/inbox'], '/2002/inbox');
    expect(results.map((r) => (r.ok ? 'ok' : r.check))).toEqual(['ok', 'source-metadata', 'providers']);
    const taskId = (results[0] as { taskId: number }).taskId;

    await expect(bob.getTask(taskId)).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(bob.cancel(taskId)).rejects.toMatchObject({ name: 'NotFoundError' });
    expect((await bob.browse({ since: 0 })).tasks).toEqual([]);
    expect((await alice.browse({ since: 0, states: ['INITIATED'] })).tasks.map((t) => t.id)).toEqual([taskId]);
    expect(network.errors).toEqual([]);
  });
});
