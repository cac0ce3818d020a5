/** What every metainfo handler shares: its dependencies, authorization and record mapping. */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import type { Identity } from '../../crypto/identity.js';
import type { OverlayStore } from '../../overlay/port.js';
import type { MetabaseStore } from '../metabase/port.js';
import type { ObjectRecord, ProjectId, SegmentRecord } from '../metabase/types.js';
import type { ObjectInfo } from '../schemas.js';
import { UploadIdSealer } from '../upload-id.js';
import { resolveApiKey, type ApiKeyAuthority, type ApiKeyGrant } from '../../projects/authorize.js';
import { caveatRefusal, type AccessRequest } from '../../projects/caveat.js';
import type { MetainfoConfig } from './config.js';

/** Resolves an API key to its project and caveats (a `ProjectStore` is one). */
export type { ApiKeyAuthority } from '../../projects/authorize.js';

export interface MetainfoDeps {
  identity: Identity;
  metabase: MetabaseStore;
  overlay: OverlayStore;
  projects: ApiKeyAuthority;
  config: MetainfoConfig;
  clock: Clock;
  /** Told about segments whose pieces are no longer referenced (delete, abort, expiry), for best-effort deletion on nodes. */
  onSegmentsDeleted?: (segments: readonly SegmentRecord[]) => void;
}

/**
 * What every satellite endpoint's handlers need before touching data: the time, the project an
 * API key belongs to, and whether that project has a bucket. The metainfo and move contexts
 * extend it.
 */
export class ProjectScope {
  constructor(readonly deps: { readonly metabase: MetabaseStore; readonly projects: ApiKeyAuthority; readonly clock: Clock }) {}

  now(): number {
    return this.deps.clock.now();
  }

  /**
   * The project an API key belongs to, once the key's caveats allow every one of `requests`
   * (none: a call that touches no bucket). `PermissionDenied` for an unknown, revoked or forged
   * key, or one whose caveats refuse.
   */
  async authorize(header: { apiKey: string }, ...requests: AccessRequest[]): Promise<ProjectId> {
    return (await this.grant(header, ...requests)).projectId;
  }

  /** As {@link authorize}, with the caveats (for calls that filter what they return). */
  async grant(header: { apiKey: string }, ...requests: AccessRequest[]): Promise<ApiKeyGrant> {
    const grant = await resolveApiKey(this.deps.projects, header.apiKey);
    if (!grant) throw new PermissionDeniedError('invalid API key');
    this.check(grant, ...requests);
    return grant;
  }

  /** `PermissionDenied` unless every caveat of `grant` allows every one of `requests` now. */
  check(grant: ApiKeyGrant, ...requests: AccessRequest[]): void {
    const now = this.now();
    for (const caveat of grant.caveats) {
      // An expired key is refused even for calls that touch no bucket.
      const refusal = caveatRefusal(caveat, { op: 'read' }, now) ?? requests.map((r) => caveatRefusal(caveat, r, now)).find((r) => r !== undefined);
      if (refusal !== undefined) throw new PermissionDeniedError(refusal);
    }
  }

  /** `NotFound` unless the project has the bucket. */
  async requireBucket(projectId: ProjectId, bucket: string): Promise<void> {
    if (!(await this.deps.metabase.getBucket(projectId, bucket))) throw new NotFoundError(`bucket ${JSON.stringify(bucket)} not found`);
  }
}

export class MetainfoContext extends ProjectScope {
  declare readonly deps: MetainfoDeps;
  readonly sealer: UploadIdSealer;

  constructor(deps: MetainfoDeps) {
    super(deps);
    this.sealer = new UploadIdSealer(deps.identity);
  }

  get config(): MetainfoConfig {
    return this.deps.config;
  }

  checkKey(encryptedKey: Uint8Array): void {
    if (encryptedKey.length > this.config.maxKeyLength) {
      throw new InvalidArgumentError(`"encryptedKey" is ${encryptedKey.length} bytes, over the limit of ${this.config.maxKeyLength}`);
    }
  }

  checkExpiry(expiresAt: number | undefined): void {
    if (expiresAt !== undefined && expiresAt <= this.now()) throw new InvalidArgumentError('"expiresAt" is in the past');
  }

  checkMetadata(metadata: { encryptedMetadata: Uint8Array } | undefined): void {
    if (metadata && metadata.encryptedMetadata.length > this.config.maxMetadataSize) {
      throw new InvalidArgumentError(`"metadata.encryptedMetadata" is ${metadata.encryptedMetadata.length} bytes, over the limit of ${this.config.maxMetadataSize}`);
    }
  }

  segmentsDeleted(segments: readonly SegmentRecord[]): void {
    if (segments.length > 0) this.deps.onSegmentsDeleted?.(segments);
  }
}

export function objectInfo(o: ObjectRecord): ObjectInfo {
  return {
    bucket: o.bucket,
    encryptedKey: o.objectKey,
    version: o.version,
    streamId: o.streamId,
    status: o.status,
    createdAt: o.createdAt,
    ...(o.committedAt === undefined ? {} : { committedAt: o.committedAt }),
    ...(o.expiresAt === undefined ? {} : { expiresAt: o.expiresAt }),
    segmentCount: o.segmentCount,
    totalPlainSize: o.totalPlainSize,
    totalEncryptedSize: o.totalEncryptedSize,
    redundancy: o.redundancy,
    encryption: o.encryption,
    ...(o.metadata === undefined ? {} : { metadata: o.metadata }),
  };
}

export function notExpired(o: ObjectRecord | undefined, now: number): ObjectRecord | undefined {
  return o && (o.expiresAt === undefined || o.expiresAt > now) ? o : undefined;
}

export function requireFound<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new NotFoundError(`${what} not found`);
  return value;
}

export const uploadMismatch = (): FailedPreconditionError => new FailedPreconditionError('segment upload id belongs to another stream');
