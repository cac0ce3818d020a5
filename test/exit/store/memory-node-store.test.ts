import { MemoryNodeExitStore } from '../../../src/exit/node-store/memory.js';
import { nodeExitStoreSuite } from '../../../src/testing/node-exit-store-suite.js';

nodeExitStoreSuite({ name: 'memory', open: async () => new MemoryNodeExitStore() });
