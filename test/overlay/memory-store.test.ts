import { MemoryOverlayStore } from '../../src/overlay/store/memory.js';
import { overlayStoreSuite } from '../../src/testing/overlay-store-suite.js';

overlayStoreSuite({ name: 'memory', open: async () => new MemoryOverlayStore() });
