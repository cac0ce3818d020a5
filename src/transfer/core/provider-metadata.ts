/**
 * A {@link FileMetadataSource} that asks each drive's provider what is at a path
 * (`FilesProvider.Stat` through the gateway), for a core that keeps no file catalogue of its own:
 * a missing source is then refused at submission, with its reason, instead of failing later at
 * its provider. It knows nothing of sensitivity or agreements (every file is unclassified).
 */
import { isHandoffError } from '../../core/errors.js';
import type { DriveDirectory, FileMetadata, FileMetadataSource } from './ports.js';
import type { ProviderGateway } from './provider-gateway.js';

/** Provider answers that mean "cannot tell now", where the path is then taken to be a folder. */
const CANNOT_TELL = ['Unavailable', 'DeadlineExceeded', 'FailedPrecondition'] as const;

/**
 * Metadata from the providers. When a provider cannot be asked (unreachable, too slow, or it does
 * not list its files), a path on a known drive counts as an unclassified folder, as a core without
 * a catalogue assumes; the transfer then fails at the provider if the path is not there.
 *
 * @example
 * ```ts
 * const core = new TransferCore({ ..., files: providerFileMetadata(world, gateway), gateway });
 * ```
 */
export function providerFileMetadata(drives: DriveDirectory, gateway: ProviderGateway): FileMetadataSource {
  const assumed: FileMetadata = { kind: 'folder', sensitivity: null, dataAgreements: [] };
  return {
    async metadata(path) {
      const drive = await drives.driveOf(path);
      if (!drive) return undefined;
      if (!gateway.statFile) return assumed;
      try {
        const entry = await gateway.statFile(drive.provider, path);
        return entry && { kind: entry.kind, sensitivity: null, dataAgreements: [] };
      } catch (err) {
        if (CANNOT_TELL.some((code) => isHandoffError(err, code))) return assumed;
        throw err;
      }
    },
  };
}
