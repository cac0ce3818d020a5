import { expect, it } from 'vitest';
import { MemoryExitQueueStore } from '../../../src/exit/store/memory.js';
import { openSatelliteStore } from '../../../src/satellite/store.js';
import { exitQueueStoreSuite } from '../../../src/testing/exit-queue-store-suite.js';
import { queueCounterProperty } from './queue-store-property.js';

exitQueueStoreSuite({ name: 'memory', open: async () => new MemoryExitQueueStore() });
queueCounterProperty(async () => new MemoryExitQueueStore());

it('a memory satellite store keeps exits in memory', async () => {
  const store = await openSatelliteStore({ kind: 'memory' });
  const nodeId = new Uint8Array(32).fill(1);
  expect((await store.exits.startExit(nodeId, 1)).created).toBe(true);
  expect((await store.exits.startExit(nodeId, 2)).created).toBe(false);
  await store.close();
});
