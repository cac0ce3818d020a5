import { MemoryMetabaseStore } from '../../../src/metainfo/metabase/memory.js';
import { metabaseStoreSuite } from '../../../src/testing/metabase-store-suite.js';

metabaseStoreSuite({ name: 'memory', setup: async () => new MemoryMetabaseStore() });
