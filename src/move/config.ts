import { InvalidArgumentError } from '../core/errors.js';
import { MAX_MOVE_CHUNK } from './methods.js';

/** The satellite's move policy (docs/move.md). */
export interface MoveConfig {
  /**
   * Objects with at most this many segments move in two round trips with every key in the
   * request; larger ones in chunks of this size (default and maximum 10,000).
   */
  chunkSegments: number;
  /** A move must finish within this after Begin; an abandoned one is deleted after it (default 1 h). */
  operationTtlMs: number;
  /** Longest encrypted object key (default 1024 bytes, as for uploads). */
  maxKeyLength: number;
}

/** The move service's defaults: chunk size, how long an operation id lives, the key length limit. */
export const DEFAULT_MOVE_CONFIG: MoveConfig = { chunkSegments: MAX_MOVE_CHUNK, operationTtlMs: 3600_000, maxKeyLength: 1024 };

/** The defaults with `overrides` applied, checked. */
export function moveConfig(overrides: Partial<MoveConfig> = {}): MoveConfig {
  const config = { ...DEFAULT_MOVE_CONFIG, ...overrides };
  if (!Number.isSafeInteger(config.chunkSegments) || config.chunkSegments < 1 || config.chunkSegments > MAX_MOVE_CHUNK) {
    throw new InvalidArgumentError(`"chunkSegments" expected an integer in [1, ${MAX_MOVE_CHUNK}], got ${String(config.chunkSegments)}`);
  }
  if (!Number.isSafeInteger(config.operationTtlMs) || config.operationTtlMs < 1) throw new InvalidArgumentError('"operationTtlMs" expected a positive integer');
  if (!Number.isSafeInteger(config.maxKeyLength) || config.maxKeyLength < 1) throw new InvalidArgumentError('"maxKeyLength" expected a positive integer');
  return config;
}
