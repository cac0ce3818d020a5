import { MemoryExitQueueStore } from '../../../src/exit/store/memory.js';
import { exitQueueStoreSuite } from '../../../src/testing/exit-queue-store-suite.js';

exitQueueStoreSuite({ name: 'memory', open: async () => new MemoryExitQueueStore() });
