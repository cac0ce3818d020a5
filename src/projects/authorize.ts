/**
 * From an API key in a request header to what it may do: its project and its caveats. A base key
 * (`hk1_…`) may do everything in its project; a restricted one (`hk1r_…`) only what every caveat
 * of its verified chain allows.
 */
import { isRestrictedApiKey, decodeRestrictedApiKey, verifyRestrictedApiKey } from './restricted-key.js';
import type { Caveat } from './caveat.js';
import type { ProjectStore } from './port.js';
import type { ProjectId } from './types.js';

/** The part of a `ProjectStore` that answers for keys. */
export type ApiKeyAuthority = Pick<ProjectStore, 'authenticate' | 'lookupApiKey'>;

/** A verified key: its project and the caveats every call must pass (none for a base key). */
export interface ApiKeyGrant {
  readonly projectId: ProjectId;
  readonly caveats: readonly Caveat[];
}

/**
 * The grant of `apiKey`, or `undefined` for a malformed, unknown, revoked or forged key (never
 * throws for a bad key: every refusal looks the same to the caller).
 *
 * @example
 * ```ts
 * const grant = await resolveApiKey(projects, header.apiKey);
 * if (!grant) throw new PermissionDeniedError('invalid API key');
 * ```
 */
export async function resolveApiKey(authority: ApiKeyAuthority, apiKey: string): Promise<ApiKeyGrant | undefined> {
  if (!isRestrictedApiKey(apiKey)) {
    const projectId = await authority.authenticate(apiKey);
    return projectId && { projectId, caveats: [] };
  }
  let key;
  try {
    key = decodeRestrictedApiKey(apiKey);
  } catch {
    return undefined;
  }
  const record = await authority.lookupApiKey(key.keyHash);
  if (!record?.caveatSecret || !verifyRestrictedApiKey(key, record.caveatSecret)) return undefined;
  return { projectId: record.projectId, caveats: key.caveats };
}
