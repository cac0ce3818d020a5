/**
 * `handoff/transfer`: moving folders from one storage provider to another as a background task
 * (seed 004) — the task lifecycle as a pure machine, the core that authorizes and tracks tasks,
 * the integration module each provider runs, their RPC services and the user's client.
 *
 * Nothing here loads a database driver, a child process or the file system: the adapters are
 * their own entry points — `handoff/transfer/sqlite`, `handoff/transfer/postgres`,
 * `handoff/transfer/rsync` (the reference plugin) and `handoff/transfer/keys` (per-task SSH keys).
 */
export {
  TERMINAL_STATES, isTerminal,
  type TaskState, type TaskId, type ProviderId, type UserId, type TaskControl, type TransferTask, type TransferTaskUpdate,
  type PluginCapabilities, type FileTransferState, type ProviderTransferRequest, type ProviderTransferResponse,
} from './types.js';
export {
  TASK_STATES, MAX_STATUS_LENGTH, CANCELED_BY_USER, isTaskState, newTask, transition, checkControl,
  type LifecycleEvent, type LifecycleEffect, type NotificationKind, type TransitionResult, type TaskDraft, type NewTransferTask,
} from './lifecycle.js';
export type {
  FileTransferPlugin, FileTransferReceiver, InterruptionKind, TransferInterruption, PluginTransferState, TransferParameters,
  PluginTask, PluginRun, TransferKeyGrant, ReceiveRequest, ReleaseTarget, ReceivePreparation,
} from './plugin.js';
export {
  TransferCore, defaultReleasePolicy, InMemoryProviderDirectory, LocalProviderGateway, InMemoryNotificationSettings, RecordingNotifier,
  MAX_BULK_ITEMS, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_PAGE_SIZE, MAX_PATH_LENGTH,
  type TransferCoreEvents, type TransferCoreOptions, type TaskPage, type TaskUpdateResult, type TransferItemResult,
  type TransferCheck, type CheckFailure, type AllocationLedger, type DataAgreement, type Drive, type DriveDirectory,
  type DrivePermissions, type FileMetadata, type FileMetadataSource, type Sensitivity, type ReleasePolicy, type ReleaseRoute,
  type DriveRight, type FileFacts, type ProviderEndpoint, type ProviderGateway, type NotificationSettings, type Notifier,
  type TransferNotification, type BrowseOptions, type TransferItem,
  MAX_FOLDER_PAGE, MAX_ENTRY_NAME_LENGTH, MAX_DRIVES_LISTED, providerFileMetadata,
  type DriveAccess, type DriveCatalogue, type FolderEntry, type FolderPage, type FolderPageRequest,
} from './core/index.js';
export { ACTIVE_STATES, type BrowseQuery, type TaskChange, type TransferRoute, type TransferTaskStore } from './store/port.js';
export { MemoryTransferTaskStore } from './store/memory.js';
export {
  ProviderIntegration, MemoryCoreLink, MemoryPeerNetwork, DEFAULT_POLICY, MemoryProviderFiles, localPath, type ProviderFiles,
  type ProviderIntegrationOptions, type IntegrationPolicy, type IntegrationStore, type OutgoingTask, type IncomingTask,
  type PendingUpdate, type PauseCause, type OutgoingFilter, type CoreLink, type UpdateOutcome, type PeerProvider, type PeerHandler,
  type PeerNegotiationRequest, type PeerNegotiationResponse, type PeerReleaseRequest,
} from './integration/index.js';
export {
  ProviderRegistry, InMemoryUserDirectory, registerTransferCoreService, registerProviderService,
  RpcProviderGateway, RpcCoreLink, RpcPeerProvider,
  TransferFiles, GetTask, BrowseTasks, ControlTask, GrantSessions, UpdateTransferTask, ListDrives, ListFolder,
  ListProviderFolder, StatProviderFile,
  TransferFilesForProvider, ControlTransfer, NegotiateTransfer, ReleaseTransfer, IssueTransferKey, AuthorizeTransferKey,
  MAX_TRANSFER_PARAMETERS,
  type ProviderContact, type UserDirectory, type TransferCoreService, type TransferCoreServiceOptions,
  type ProviderServiceModule, type ProviderServiceOptions, type RpcProviderGatewayOptions, type RpcCoreLinkOptions,
  type RpcPeerProviderOptions, type ProviderClientsOptions, type WireSessionOffer,
} from './rpc/index.js';
export {
  DEFAULT_SESSION_LIFETIME_MS, SESSION_GRANT_TAG, sessionRole, signSessionGrant, verifySessionGrant,
  ProviderSession, TransferClient,
  type SessionExpectation, type SessionGrant, type SessionGrantFields, type SessionRole,
  type ProviderSessionOptions, type SessionOffer, type KeyExchange, type TransferClientOptions,
} from './session/index.js';
