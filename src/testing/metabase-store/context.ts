import type { MetabaseStore } from '../../metainfo/metabase/port.js';

/** What each part of the metabase store suite sees: the store of the running test. */
export interface SuiteContext {
  readonly store: MetabaseStore;
}
