/**
 * Whether a file's metadata lets it leave its provider for a given destination — the seed's
 * "sensitivity or data agreements that are valid for the current provider, but not the
 * destination". Hosts with other rules pass their own {@link ReleasePolicy} to the core.
 */
import type { ProviderId } from '../types.js';
import type { FileMetadata } from './ports.js';

/** Where a transfer goes. */
export interface ReleaseRoute {
  readonly sourceProvider: ProviderId;
  readonly destinationProvider: ProviderId;
}

/** Returns why `metadata` forbids the transfer, or undefined when it may go. */
export type ReleasePolicy = (metadata: FileMetadata, route: ReleaseRoute) => string | undefined;

/**
 * The default rules: every data agreement binding the file must cover the destination provider,
 * and `SENSITIVE` data moves only under at least one such agreement (never on its own say-so).
 *
 * @example
 * ```ts
 * defaultReleasePolicy({ kind: 'file', sensitivity: 'SENSITIVE', dataAgreements: [] },
 *   { sourceProvider: 'hippo', destinationProvider: 'aau' });
 * // → 'sensitive data may leave provider "hippo" only under a data agreement that covers "aau"'
 * ```
 */
export const defaultReleasePolicy: ReleasePolicy = (metadata, route) => {
  for (const agreement of metadata.dataAgreements) {
    if (!agreement.providers.includes(route.destinationProvider)) {
      return `data agreement "${agreement.id}" does not cover provider "${route.destinationProvider}"`;
    }
  }
  if (metadata.sensitivity === 'SENSITIVE' && metadata.dataAgreements.length === 0) {
    return `sensitive data may leave provider "${route.sourceProvider}" only under a data agreement that covers "${route.destinationProvider}"`;
  }
  return undefined;
};
