import { MemoryRepairQueueStore } from '../../../src/durability/repair/store/memory.js';
import { repairQueueStoreSuite } from '../../../src/testing/repair-queue-store-suite.js';

repairQueueStoreSuite({ name: 'memory', open: async () => new MemoryRepairQueueStore() });
