/**
 * The provider integration module: {@link ProviderIntegration}, its ports to
 * the core and to other providers, and in-memory implementations of those ports.
 */
export { ProviderIntegration, type ProviderIntegrationOptions } from './provider-integration.js';
export type { IntegrationStore, OutgoingTask, IncomingTask, PendingUpdate, PauseCause, OutgoingFilter } from './store.js';
export type {
  CoreLink,
  UpdateOutcome,
  PeerProvider,
  PeerHandler,
  PeerNegotiationRequest,
  PeerNegotiationResponse,
  PeerReleaseRequest,
} from './ports.js';
export { MemoryCoreLink, MemoryPeerNetwork } from './memory.js';
export { DEFAULT_POLICY, backoffDelay, dueAction, applyPluginState, updateFor, type IntegrationPolicy, type DueAction } from './policy.js';
export { MemoryProviderFiles, localPath, type ProviderFiles } from './files.js';
