/** What every move handler shares: its dependencies, the token sealer and authorization. */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import { getCryptoProvider } from '../crypto/select.js';
import { ProjectScope, type ApiKeyAuthority } from '../metainfo/endpoint/context.js';
import type { MetabaseStore } from '../metainfo/metabase/port.js';
import type { SegmentRecord } from '../metainfo/metabase/types.js';
import { moveConfig, type MoveConfig } from './config.js';
import { MoveTokenSealer } from './token.js';

/** The ports the satellite's move service runs on. */
export interface MoveDeps {
  /** The satellite's identity: move tokens are sealed with a key derived from it. */
  identity: Identity;
  metabase: MetabaseStore;
  projects: ApiKeyAuthority;
  clock: Clock;
  config?: Partial<MoveConfig>;
  /** Told about segments whose pieces an overwrite released, for deletion on nodes. */
  onSegmentsDeleted?: (segments: readonly SegmentRecord[]) => void;
  /** Random bytes for operation and copy stream ids (default the crypto provider's). */
  random?: (length: number) => Uint8Array;
}

/** What the move service needs per call: the project, the metabase and the config. */
export class MoveContext extends ProjectScope {
  declare readonly deps: MoveDeps;
  readonly config: MoveConfig;
  readonly sealer: MoveTokenSealer;

  constructor(deps: MoveDeps) {
    super(deps);
    this.config = moveConfig(deps.config);
    this.sealer = new MoveTokenSealer(deps.identity);
  }

  /** Fresh ids a Begin may use: the chunked operation's and the copy's stream id. */
  newIds(): { operationId: Uint8Array; copyStreamId: Uint8Array } {
    const random = this.deps.random ?? ((length: number) => getCryptoProvider().randomBytes(length));
    return { operationId: random(16), copyStreamId: random(16) };
  }

  get metabase(): MetabaseStore {
    return this.deps.metabase;
  }

  checkKey(encryptedKey: Uint8Array, field: string): void {
    if (encryptedKey.length > this.config.maxKeyLength) {
      throw new InvalidArgumentError(`"${field}" is ${encryptedKey.length} bytes, over the limit of ${this.config.maxKeyLength}`);
    }
  }

  segmentsDeleted(segments: readonly SegmentRecord[]): void {
    if (segments.length > 0) this.deps.onSegmentsDeleted?.(segments);
  }
}
