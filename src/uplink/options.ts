/** The options of the uplink's calls, and their defaults. */
import type { Clock } from '../core/clock.js';
import type { Identity } from '../crypto/identity.js';
import type { NodeId } from '../crypto/node-id.js';
import type { Transport } from '../transport/types.js';
import type { RootKeyKdfParams } from './encryption/index.js';
import { DEFAULT_BLOCK_SIZE } from './encryption/index.js';
import type { UndecryptableEntry } from './listing.js';

/**
 * Plaintext bytes per segment unless told otherwise: 1024 blocks of 65,520 bytes, so an encrypted
 * segment is exactly 64 MiB, the satellite's default limit.
 */
export const DEFAULT_SEGMENT_SIZE = 1024 * DEFAULT_BLOCK_SIZE;

/** The satellite's default inline limit: encrypted objects (or last segments) this small live in the metabase. */
export const DEFAULT_MAX_INLINE_SIZE = 4 * 1024;

/** How the uplink finds its root key: a passphrase (through Argon2id) or 32 raw bytes. */
export type RootKeySource =
  | { readonly passphrase: string | Uint8Array; readonly rootKey?: undefined }
  | { readonly rootKey: Uint8Array; readonly passphrase?: undefined };

/** Everything {@link Uplink.connect} accepts. */
export type UplinkOptions = RootKeySource & {
  /** How to reach the satellite and the storage nodes. */
  readonly transport: Transport;
  /** `host:port`, or `<id>@<host:port>` as `handoff satellite run` prints it (the id pins the satellite). */
  readonly satelliteAddress: string;
  /** Pin the satellite: a server with another id is refused. */
  readonly satelliteId?: NodeId | string;
  /** The API key the satellite issued for the project (`hk1_…`). */
  readonly apiKey: string;
  /** Argon2id cost (tests use tiny costs); default `DEFAULT_ROOT_KEY_KDF`. */
  readonly kdf?: Partial<RootKeyKdfParams>;
  /** Plaintext bytes per segment (default {@link DEFAULT_SEGMENT_SIZE}). */
  readonly segmentSize?: number;
  /** Largest encrypted object stored inline (default 4 KiB; must not exceed the satellite's limit). */
  readonly maxInlineSize?: number;
  /** Plaintext bytes per AES-GCM block (default 65,520). Readers take it from each object. */
  readonly blockSize?: number;
  /**
   * Pieces fetched beyond `required` for each segment from the start (default 0). Slow nodes are
   * outrun anyway: a node that holds decoding back is hedged with one more (see docs/uplink.md).
   */
  readonly extraDownloadPieces?: number;
  /** Segments downloaded ahead of the one being read (default 1). */
  readonly downloadAhead?: number;
  /** Our identity in handshakes (default: a fresh ephemeral one). */
  readonly identity?: Identity;
  /**
   * Times the hedging of slow downloads and the receipt grace of uploads (default the system
   * clock); a `ManualClock` makes them move only when a test advances it.
   */
  readonly clock?: Clock;
};

/** Progress of a long call. `bytesTotal` is absent when the size is not known in advance. */
export interface Progress {
  readonly bytesDone: number;
  readonly bytesTotal?: number;
}

/** What every long call accepts. */
export interface LongCallOptions {
  /** Cancels the call: it rejects with `CanceledError` and leaves nothing half-done behind. */
  readonly signal?: AbortSignal;
  /** Told how far the call has got; never goes backwards. */
  readonly onProgress?: (progress: Progress) => void;
}

/** Options of {@link Uplink.upload}. */
export interface UploadOptions extends LongCallOptions {
  /** The object is deleted (by the satellite's cleanup) after this instant. */
  readonly expires?: Date;
  /** The application's own name/value pairs, stored encrypted. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** A MIME type, stored encrypted. */
  readonly contentType?: string;
  /** The plaintext size when the data is a stream and its size is known, for progress. */
  readonly size?: number;
}

/** Options of {@link Uplink.download} and {@link Uplink.downloadStream}. */
export interface DownloadOptions extends LongCallOptions {
  /** A version of the key; default the latest committed one. */
  readonly version?: number;
  /** First plaintext byte wanted (default 0). */
  readonly offset?: number;
  /** Bytes wanted from `offset` (default: to the end). */
  readonly length?: number;
}

/** Options of {@link Uplink.listObjects}. */
export interface ListObjectsOptions {
  /** `''` (the whole bucket, the default) or a path ending in `/`. */
  readonly prefix?: string;
  /** List everything below the prefix; otherwise sub-folders fold into one prefix entry each. */
  readonly recursive?: boolean;
  /** Every committed version of each key instead of only the latest. */
  readonly allVersions?: boolean;
  /** Include uploads still in progress (status `pending`). */
  readonly pending?: boolean;
  /**
   * Told of each entry skipped because this root key cannot decrypt it (written under another
   * passphrase or root key); the listing's `undecryptable` counts them.
   */
  readonly onUndecryptable?: (entry: UndecryptableEntry) => void;
  readonly signal?: AbortSignal;
}

/** The connect options with every default filled in. */
export interface UplinkSettings {
  readonly segmentSize: number;
  readonly maxInlineSize: number;
  readonly blockSize: number;
  readonly extraDownloadPieces: number;
  readonly downloadAhead: number;
  readonly clock: Clock;
}
