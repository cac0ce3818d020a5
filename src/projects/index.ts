/**
 * Projects and API keys: who may call metainfo, and for which project. Storage adapters are in
 * `./store/index.js`.
 */
export {
  assertProjectName, assertProjectId, type ProjectId, type Project, type CreatedProject, type ApiKeyInfo,
  MAX_PROJECT_NAME_LENGTH
} from './types.js';
export type { ProjectStore } from './port.js';
export { API_KEY_PREFIX, apiKeyHash, apiKeyId, generateApiKey, isWellFormedApiKey } from './api-key.js';
export { CachingProjectStore, type ProjectCacheOptions } from './cache.js';
