import type { RedundancyScheme } from '../metabase/types.js';
import { checkRedundancy } from '../redundancy.js';

/** The satellite's metainfo policy. Every limit is enforced as an `InvalidArgument` naming the field. */
export interface MetainfoConfig {
  /** The scheme every new segment uses; the satellite decides it, the uplink obeys it. */
  redundancy: RedundancyScheme;
  /** Largest encrypted segment (default 64 MiB). */
  maxSegmentSize: number;
  /** Largest inline segment (default 4 KiB). */
  maxInlineSize: number;
  /** Longest encrypted object key (default 1024 bytes). */
  maxKeyLength: number;
  /** Largest encrypted metadata (default 2 KiB). */
  maxMetadataSize: number;
  /** Most segments one object may have (default 1,000,000). */
  maxSegmentsPerObject: number;
  /** A pending upload must be committed within this (default 24 h). */
  uploadTtlMs: number;
  /** Order limits expire after this (default 24 h; never after the upload's deadline). */
  orderTtlMs: number;
  /** Nodes heard from within this window are selectable (default 4 h). */
  onlineWindowMs: number;
}

/** Storj's development scheme: 4 of 10, repair below 6, success at 8, 256-byte shares. */
export const DEV_REDUNDANCY: RedundancyScheme = { algorithm: 'reed-solomon', shareSize: 256, required: 4, repair: 6, success: 8, total: 10 };

/** The metainfo defaults: redundancy, segment and inline limits. */
export const DEFAULT_METAINFO_CONFIG: MetainfoConfig = {
  redundancy: DEV_REDUNDANCY,
  maxSegmentSize: 64 * 1024 * 1024,
  maxInlineSize: 4 * 1024,
  maxKeyLength: 1024,
  maxMetadataSize: 2 * 1024,
  maxSegmentsPerObject: 1_000_000,
  uploadTtlMs: 24 * 3600_000,
  orderTtlMs: 24 * 3600_000,
  onlineWindowMs: 4 * 3600_000,
};

/** The metainfo configuration: the defaults with `overrides` applied and checked. */
export function metainfoConfig(overrides: Partial<MetainfoConfig> = {}): MetainfoConfig {
  const config = { ...DEFAULT_METAINFO_CONFIG, ...overrides };
  checkRedundancy(config.redundancy, 'config.redundancy');
  return config;
}
