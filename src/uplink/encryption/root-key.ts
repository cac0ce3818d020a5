/**
 * The root of the key hierarchy: from a passphrase through Argon2id with a per-project salt, or
 * given as 32 raw bytes. Everything an uplink encrypts hangs off this one key.
 */
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { concatBytes, utf8 } from '../../core/bytes.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { expectBytes, isBytes } from '../../crypto/checks.js';
import { getCryptoProvider } from '../../crypto/select.js';
import { KEY_LENGTH } from './derive.js';

/** Argon2id cost of {@link deriveRootKey}. */
export interface RootKeyKdfParams {
  /** Memory in KiB (`m`). */
  readonly memoryKiB: number;
  /** Passes over memory (`t`). */
  readonly iterations: number;
  /** Lanes (`p`). Part of the key: a different value derives a different key. */
  readonly parallelism: number;
}

/**
 * Argon2id with m = 64 MiB, t = 1, p = 1 (RFC 9106's second recommended option, and what Storj
 * uses): about 0.6 s in pure JavaScript on one core. p = 1 because JavaScript computes lanes one
 * after another anyway, and a key must not depend on the machine that derived it.
 */
export const DEFAULT_ROOT_KEY_KDF: RootKeyKdfParams = Object.freeze({ memoryKiB: 64 * 1024, iterations: 1, parallelism: 1 });

const PROJECT_SALT_LABEL = 'handoff/project-salt/v1';
const MIN_SALT_LENGTH = 16;
/** 2 GiB: the largest Argon2 memory the pure-JavaScript implementation can address here. */
const MAX_MEMORY_KIB = 2 * 1024 * 1024;

function expectInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`"${name}" expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function checkParams(params: Partial<RootKeyKdfParams>): RootKeyKdfParams {
  const merged = { ...DEFAULT_ROOT_KEY_KDF, ...params };
  const parallelism = expectInteger(merged.parallelism, 'parallelism', 1, 255);
  return {
    parallelism,
    // Argon2 needs at least 8 KiB per lane.
    memoryKiB: expectInteger(merged.memoryKiB, 'memoryKiB', 8 * parallelism, MAX_MEMORY_KIB),
    iterations: expectInteger(merged.iterations, 'iterations', 1, 1024),
  };
}

function passphraseBytes(passphrase: unknown): Uint8Array {
  if (isBytes(passphrase)) {
    if (passphrase.length === 0) throw new InvalidArgumentError('"passphrase" must not be empty');
    return passphrase;
  }
  if (typeof passphrase !== 'string') throw new InvalidArgumentError(`"passphrase" expected a string or Uint8Array, got ${typeof passphrase}`);
  if (passphrase.length === 0) throw new InvalidArgumentError('"passphrase" must not be empty');
  // NFC: the same passphrase typed on macOS (which may produce NFD) and elsewhere gives one key.
  return utf8(passphrase.normalize('NFC'));
}

/**
 * The per-project salt: SHA-256("handoff/project-salt/v1" || projectId). One passphrase used in
 * two projects gives two unrelated root keys, and a precomputed table is useless across projects.
 *
 * @example
 * ```ts
 * const rootKey = await deriveRootKey('correct horse battery staple', projectSalt(projectId));
 * ```
 */
export function projectSalt(projectId: Uint8Array): Uint8Array {
  expectBytes(projectId, 'projectId');
  if (projectId.length === 0) throw new InvalidArgumentError('"projectId" must not be empty');
  return getCryptoProvider().sha256(concatBytes(utf8(PROJECT_SALT_LABEL), projectId));
}

/**
 * The 32-byte root key of a passphrase: Argon2id(passphrase, salt) with {@link DEFAULT_ROOT_KEY_KDF}
 * unless `params` says otherwise (tests use a tiny cost; every party must use the same). A string
 * passphrase is NFC-normalized and UTF-8 encoded. Runs asynchronously so the event loop stays
 * responsive during the ~0.6 s it takes.
 *
 * @example
 * ```ts
 * const rootKey = await deriveRootKey(passphrase, projectSalt(projectId));
 * const fast = await deriveRootKey(passphrase, salt, { memoryKiB: 64 }); // tests only
 * ```
 */
export async function deriveRootKey(passphrase: string | Uint8Array, salt: Uint8Array, params: Partial<RootKeyKdfParams> = {}): Promise<Uint8Array> {
  const password = passphraseBytes(passphrase);
  expectBytes(salt, 'salt');
  if (salt.length < MIN_SALT_LENGTH) throw new InvalidArgumentError(`"salt" expected at least ${MIN_SALT_LENGTH} bytes, got ${salt.length}`);
  const { memoryKiB, iterations, parallelism } = checkParams(params);
  return argon2idAsync(password, salt, {
    m: memoryKiB,
    t: iterations,
    p: parallelism,
    dkLen: KEY_LENGTH,
    maxmem: memoryKiB * 1024,
  });
}

/**
 * A root key given as 32 raw bytes (for example one kept in a secrets manager instead of a
 * passphrase). The bytes are copied, so the caller may wipe its own.
 *
 * @example
 * ```ts
 * const rootKey = rootKeyFromBytes(fromHex(process.env.HANDOFF_ROOT_KEY!));
 * ```
 */
export function rootKeyFromBytes(bytes: Uint8Array): Uint8Array {
  return expectBytes(bytes, 'rootKey', KEY_LENGTH).slice();
}
