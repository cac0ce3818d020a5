import { transferTaskStoreSuite } from '../../../src/testing/transfer-task-store-suite.js';
import { MemoryTransferTaskStore } from '../../../src/transfer/store/memory.js';

transferTaskStoreSuite({ name: 'memory', open: async () => new MemoryTransferTaskStore() });
