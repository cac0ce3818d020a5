/**
 * The transfer network over handoff's RPC: method declarations, the core's and the providers'
 * services, and the adapters that implement the core's and the integration module's ports by
 * calling them.
 */
export { ProviderRegistry, type ProviderContact } from './registry.js';
export { InMemoryUserDirectory, type UserDirectory } from './users.js';
export { registerTransferCoreService, type TransferCoreService, type TransferCoreServiceOptions } from './core-service.js';
export { registerProviderService, type ProviderServiceModule, type ProviderServiceOptions } from './provider-service.js';
export { RpcProviderGateway, type RpcProviderGatewayOptions } from './provider-gateway.js';
export { RpcCoreLink, type RpcCoreLinkOptions } from './core-link.js';
export { RpcPeerProvider, type RpcPeerProviderOptions } from './peer-provider.js';
export type { ProviderClientsOptions } from './provider-clients.js';
export {
  TransferFiles,
  GetTask,
  BrowseTasks,
  ControlTask,
  GrantSessions,
  ListDrives,
  ListFolder,
  UpdateTransferTask,
  sessionOfferSchema,
  updateItemSchema,
  type WireSessionOffer,
} from './core-methods.js';
export {
  TransferFilesForProvider,
  ControlTransfer,
  NegotiateTransfer,
  ReleaseTransfer,
  IssueTransferKey,
  AuthorizeTransferKey,
  ListProviderFolder,
  StatProviderFile,
  parameterSchema,
  MAX_TRANSFER_PARAMETERS,
} from './provider-methods.js';
export { taskSchema, folderEntrySchema, folderPageSchema } from './fields.js';
