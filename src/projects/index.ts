/**
 * Projects and API keys: who may call metainfo, and for which project. Storage adapters are in
 * `./store/index.js`.
 */
export {
  assertProjectName, assertProjectId, type ProjectId, type Project, type CreatedProject, type ApiKeyInfo, type ApiKeyRecord,
  MAX_PROJECT_NAME_LENGTH
} from './types.js';
export type { ProjectStore } from './port.js';
export { API_KEY_PREFIX, apiKeyHash, apiKeyId, generateApiKey, isWellFormedApiKey } from './api-key.js';
export { CachingProjectStore, type ProjectCacheOptions } from './cache.js';
export {
  RESTRICTED_API_KEY_PREFIX, MAX_RESTRICTED_API_KEY_LENGTH, restrictApiKey, decodeRestrictedApiKey, verifyRestrictedApiKey,
  isRestrictedApiKey, caveatSecret, type RestrictedApiKey
} from './restricted-key.js';
export { type Caveat, type CaveatPath, type AccessRequest, caveatRefusal, bucketVisible, encodeCaveat, decodeCaveat } from './caveat.js';
export { resolveApiKey, type ApiKeyAuthority, type ApiKeyGrant } from './authorize.js';
