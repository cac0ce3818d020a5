import { MemoryContainmentStore } from '../../../src/durability/audit/store/memory.js';
import { containmentStoreSuite } from '../../../src/testing/containment-store-suite.js';

containmentStoreSuite({ name: 'memory', open: async () => new MemoryContainmentStore() });
