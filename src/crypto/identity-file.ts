/**
 * The identity file: an Ed25519 private key as PKCS#8 PEM (what `openssl pkey` reads and
 * `openssl genpkey -algorithm ed25519` writes), preceded by explanatory lines that name the node
 * id (RFC 7468 allows text before the BEGIN line). Plus the durable write and the read, with
 * node:fs loaded only when called so that browser code paths never touch it.
 */
import { concatBytes, equalBytes, fromHex, toHex } from '../core/bytes.js';
import { AlreadyExistsError, DecodeError, NotFoundError } from '../core/errors.js';

/** PKCS#8 v1 PrivateKeyInfo header for an Ed25519 key (RFC 8410); the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = fromHex('302e020100300506032b657004220420');
const BEGIN = '-----BEGIN PRIVATE KEY-----';
const END = '-----END PRIVATE KEY-----';
const NODE_ID_LINE = /^node id:(.*)$/i;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new DecodeError('identity file: the key is not valid base64');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The identity file text for `privateKey` (32-byte seed) of node `nodeId`. */
export function encodeIdentityPem(privateKey: Uint8Array, nodeId: string): string {
  const der = concatBytes(PKCS8_ED25519_PREFIX, privateKey);
  const body = toBase64(der);
  der.fill(0);
  return [
    'handoff node identity',
    `node id: ${nodeId}`,
    'This is the node\'s Ed25519 private key (PKCS#8, readable by "openssl pkey").',
    'Keep it secret and back it up: without it the node cannot prove who it is.',
    BEGIN,
    ...(body.match(/.{1,64}/g) ?? []),
    END,
    '',
  ].join('\n');
}

/** What an identity file holds: the seed, and the node id its text names (if any). */
export interface DecodedIdentityPem {
  privateKey: Uint8Array;
  nodeIdText: string | undefined;
}

/** Parses {@link encodeIdentityPem} output or a plain Ed25519 PKCS#8 PEM; throws `DecodeError`. */
export function decodeIdentityPem(text: string): DecodedIdentityPem {
  if (typeof text !== 'string') throw new DecodeError(`identity file: expected text, got ${typeof text}`);
  const lines = text.split(/\r?\n/);
  const begin = lines.findIndex((line) => line.trim() === BEGIN);
  if (begin < 0) {
    if (text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
      throw new DecodeError('identity file: the key is encrypted; decrypt it first (openssl pkey -in FILE -out PLAIN)');
    }
    throw new DecodeError(`identity file: no "${BEGIN}" line`);
  }
  const end = lines.findIndex((line, i) => i > begin && line.trim() === END);
  if (end < 0) throw new DecodeError(`identity file: no "${END}" line`);
  if (lines.slice(end + 1).some((line) => line.trim() !== '')) {
    throw new DecodeError('identity file: unexpected text after the key (more than one key in the file?)');
  }

  const named = lines
    .slice(0, begin)
    .map((line) => NODE_ID_LINE.exec(line.trim())?.[1]?.trim())
    .filter((id): id is string => id !== undefined);
  if (new Set(named).size > 1) throw new DecodeError('identity file: it names more than one node id');

  const der = fromBase64(lines.slice(begin + 1, end).join('').replace(/\s+/g, ''));
  try {
    if (der.length !== PKCS8_ED25519_PREFIX.length + 32 || !equalBytes(der.subarray(0, PKCS8_ED25519_PREFIX.length), PKCS8_ED25519_PREFIX)) {
      throw new DecodeError('identity file: the key is not an Ed25519 PKCS#8 private key');
    }
    return { privateKey: der.slice(PKCS8_ED25519_PREFIX.length), nodeIdText: named[0] };
  } finally {
    der.fill(0);
  }
}

type FsPromises = typeof import('node:fs/promises');
type NodePath = typeof import('node:path');

/**
 * A Node builtin, loaded on call. `process.getBuiltinModule` first (sync, invisible to bundlers);
 * else a dynamic import whose specifier is a variable, so browser bundlers do not try to resolve it.
 */
async function nodeBuiltin<T>(specifier: 'node:fs/promises' | 'node:path'): Promise<T> {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const builtin = proc?.getBuiltinModule?.(specifier);
  if (builtin !== undefined) return builtin as T;
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}

function errorCode(err: unknown): string | undefined {
  return (err as { code?: unknown } | null)?.code as string | undefined;
}

/**
 * Writes `text` to `path` so that a crash leaves either no file or the whole file: a temporary
 * file (mode 0600) beside it is written and fsynced, then moved into place, then the directory is
 * fsynced. Unless `overwrite`, an existing file is never replaced (`AlreadyExistsError`).
 */
export async function writeSecretFileAtomic(path: string, text: string, overwrite: boolean): Promise<void> {
  const fs = await nodeBuiltin<FsPromises>('node:fs/promises');
  const { dirname, basename, join } = await nodeBuiltin<NodePath>('node:path');
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${toHex(globalThis.crypto.getRandomValues(new Uint8Array(6)))}.tmp`);
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.chmod(0o600); // the umask can only narrow it, but be exact
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (overwrite) {
      await fs.rename(tmp, path);
    } else {
      await placeWithoutReplacing(fs, tmp, path);
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await syncDirectory(fs, dir);
}

async function placeWithoutReplacing(fs: FsPromises, tmp: string, path: string): Promise<void> {
  const exists = () => new AlreadyExistsError(`${path} already exists; pass { overwrite: true } to replace it`);
  try {
    // link() fails if `path` exists, atomically; rename() would silently replace it.
    await fs.link(tmp, path);
  } catch (err) {
    if (errorCode(err) === 'EEXIST') throw exists();
    // A file system without hard links: check, then rename (only a concurrent writer can race this).
    if (await fs.lstat(path).then(() => true, () => false)) throw exists();
    await fs.rename(tmp, path);
  }
}

async function syncDirectory(fs: FsPromises, dir: string): Promise<void> {
  let handle: Awaited<ReturnType<FsPromises['open']>> | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EACCES'].includes(errorCode(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

/** Reads a text file; a missing file is `NotFoundError`. */
export async function readTextFile(path: string): Promise<string> {
  const fs = await nodeBuiltin<FsPromises>('node:fs/promises');
  try {
    return await fs.readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') throw new NotFoundError(`identity file ${path} does not exist`, { cause: err });
    throw err;
  }
}
