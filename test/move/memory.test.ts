import { MemoryMetabaseStore } from '../../src/metainfo/metabase/memory.js';
import { moveScenarios } from './scenarios.js';

moveScenarios({ name: 'memory', open: async () => new MemoryMetabaseStore(), large: { segments: 25_000, chunk: 1000 } });
