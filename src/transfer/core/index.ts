/** The transfer core: the service, its ports, and in-memory implementations of them. */
export { TransferCore, type TransferCoreEvents, type TransferCoreOptions, type TaskPage, type TaskUpdateResult } from './transfer-core.js';
export type { TransferItemResult } from './submission.js';
export type { TransferCheck, CheckFailure } from './checks.js';
export type {
  AllocationLedger,
  DataAgreement,
  Drive,
  DriveAccess,
  DriveCatalogue,
  DriveDirectory,
  DrivePermissions,
  FileMetadata,
  FileMetadataSource,
  FolderEntry,
  FolderPage,
  FolderPageRequest,
  Sensitivity,
} from './ports.js';
export { MAX_FOLDER_PAGE, MAX_ENTRY_NAME_LENGTH } from './ports.js';
export { MAX_DRIVES_LISTED } from './browsing.js';
export { providerFileMetadata } from './provider-metadata.js';
export { defaultReleasePolicy, type ReleasePolicy, type ReleaseRoute } from './release-policy.js';
export { InMemoryProviderDirectory, type DriveRight, type FileFacts } from './in-memory-directory.js';
export { LocalProviderGateway, type ProviderEndpoint, type ProviderGateway } from './provider-gateway.js';
export {
  InMemoryNotificationSettings,
  RecordingNotifier,
  type NotificationSettings,
  type Notifier,
  type TransferNotification,
} from './notifications.js';
export {
  MAX_BULK_ITEMS,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_PAGE_SIZE,
  MAX_PATH_LENGTH,
  type BrowseOptions,
  type TransferItem,
} from './requests.js';
