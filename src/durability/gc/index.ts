/**
 * Garbage collection (docs/durability.md): the satellite's filters and collector, the
 * `Piecestore.Retain` call, and the storage node's retain pass and runner.
 */
export {
  BloomFilter, BLOOM_FILTER_VERSION, BLOOM_FILTER_HEADER_BYTES, MAX_BLOOM_HASH_COUNT, DEFAULT_MAX_BLOOM_FILTER_BYTES,
  type BloomFilterOptions, type BloomFilterParameters,
} from './bloom-filter.js';
export { buildRetainFilters, DEFAULT_FILTER_CONFIG, type BuildFiltersOptions, type FilterConfig, type GcMetabase, type NodeFilter, type RetainFilters } from './filters.js';
export { PiecestoreRetain, RetainRequest, RetainResponse, MAX_RETAIN_FILTER_BYTES } from './messages.js';
export {
  GarbageCollector, DEFAULT_GC_CONFIG,
  type GarbageCollectorOptions, type GcConfig, type GcNodeDirectory, type GcNodeReport, type GcReport,
} from './service.js';
export { retainPieces, type RetainPassOptions, type RetainPassResult } from './retain.js';
export { RetainService, DEFAULT_RETAIN_CONFIG, type RetainConfig, type RetainServiceOptions } from './retain-service.js';
