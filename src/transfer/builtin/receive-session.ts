/**
 * One push stream at the destination: checks that the handshake proved the key authorized for the
 * task, then writes what the source sends inside the task's entry only. Each file goes to a hidden
 * temporary name beside its final one; a resumed run continues inside it; once the last byte is
 * in, the whole file's SHA-256 must match the source's, and only then is it fsynced, renamed into
 * place and its folder fsynced. A stream that breaks leaves the temporary file for the next run.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { FailedPreconditionError, InvalidArgumentError, isHandoffError, PermissionDeniedError, ResourceExhaustedError } from '../../core/errors.js';
import type { CallContext, ServerStream } from '../../rpc/context.js';
import type { TaskId } from '../types.js';
import type { PushAuthorization, PushAuthorizations } from './authorizations.js';
import { CHUNK_BYTES, type PushMessage, type PushReply } from './methods.js';
import { partialName, pathComponents } from './paths.js';

/** The file being received. */
interface OpenFile {
  readonly handle: FileHandle;
  readonly partial: string;
  readonly final: string;
  readonly parent: string;
  readonly size: number;
  readonly mode: number;
  readonly mtimeMs: number;
  readonly hash: Hash;
  written: number;
}

/** Streams running per task: a new one for the same task waits until the old one has stopped. */
export type ActivePushes = Map<TaskId, { readonly stop: () => void; readonly ended: Promise<void> }>;

export interface PushDeps {
  readonly authorizations: PushAuthorizations;
  readonly clock: Clock;
  readonly active: ActivePushes;
}

/** Serves one `BuiltinTransfer.Push` stream (see the file comment). */
export async function servePush(stream: ServerStream<PushMessage, PushReply>, ctx: CallContext, deps: PushDeps): Promise<void> {
  const first = await stream.receive();
  if (first === undefined) return;
  if (first.type !== 'begin') throw new InvalidArgumentError(`"type" expected "begin" first, got ${JSON.stringify(first.type)}`);
  const auth = await deps.authorizations.get(first.taskId);
  // One answer for an unknown task and a wrong key: a stranger learns nothing about which tasks exist.
  if (!auth || !auth.key.equals(ctx.peer)) throw new PermissionDeniedError(`this key may not push task ${first.taskId}`);
  if (auth.expiresAt <= deps.clock.now()) throw new PermissionDeniedError(`the transfer key of task ${first.taskId} has expired`);
  if (auth.entryName === null) throw new FailedPreconditionError(`task ${first.taskId} has not been negotiated with the destination`);

  const previous = deps.active.get(auth.taskId);
  if (previous) {
    previous.stop();
    await previous.ended;
  }
  const stopper = new AbortController();
  let ended!: () => void;
  const entry = { stop: () => stopper.abort(), ended: new Promise<void>((r) => (ended = r)) };
  deps.active.set(auth.taskId, entry);
  const session = new PushSession(auth);
  try {
    await stream.send({ type: 'ready' });
    // A newer push of the task, or its release, ends this one even while it waits for a message
    // from a source that went silent.
    const takenOver = new Promise<never>((_, reject) =>
      stopper.signal.addEventListener('abort', () => reject(new FailedPreconditionError(`push of task ${auth.taskId} stopped: a newer push took over or the task ended`)), { once: true }),
    );
    takenOver.catch(() => undefined);
    for (;;) {
      const message = await Promise.race([stream.receive(), takenOver]);
      if (message === undefined) return;
      const reply = await session.handle(message).catch(mapFsError);
      if (reply) await stream.send(reply);
    }
  } finally {
    await session.abandon();
    if (deps.active.get(auth.taskId) === entry) deps.active.delete(auth.taskId);
    ended();
  }
}

class PushSession {
  readonly #auth: PushAuthorization;
  #file: OpenFile | undefined;
  #done = false;

  constructor(auth: PushAuthorization) {
    this.#auth = auth;
  }

  async handle(message: PushMessage): Promise<PushReply | undefined> {
    if (this.#done) throw new InvalidArgumentError(`"type" expected nothing after "done", got ${JSON.stringify(message.type)}`);
    switch (message.type) {
      case 'begin':
        throw new InvalidArgumentError('"type" "begin" comes only once, first');
      case 'dir':
        this.#expectNoFile('dir');
        await this.#makeDir(pathComponents(message.path), message.mode);
        return { type: 'made' };
      case 'file':
        this.#expectNoFile('file');
        return { type: 'offset', offset: await this.#openFile(message) };
      case 'data':
        return this.#write(message.bytes);
      case 'end':
        return this.#finish(message.sha256);
      case 'done':
        this.#expectNoFile('done');
        this.#done = true;
        return { type: 'finished' };
    }
  }

  /** The stream ended or broke: keep the temporary file for the next run, close its handle. */
  async abandon(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.handle.close().catch(() => undefined);
  }

  /** The entry's folder path for `components`, checking every existing step is a real folder. */
  async #makeDir(components: readonly string[], mode: number): Promise<void> {
    let path = this.#auth.destinationDir;
    await requireRealDir(path, 'the destination folder');
    for (const name of [this.#auth.entryName!, ...components]) {
      path = join(path, name);
      const kind = await kindOf(path);
      if (kind === 'missing') await mkdir(path, { mode: mode | 0o700 });
      else if (kind !== 'dir') throw new FailedPreconditionError(`the destination already holds something that is not a folder at ${name}`);
    }
  }

  /** Opens (or re-opens) the file's temporary copy; returns the bytes already there. */
  async #openFile(message: Extract<PushMessage, { type: 'file' }>): Promise<number> {
    const components = pathComponents(message.path);
    // '' is the entry itself: a single file sent into the destination folder.
    const names = [this.#auth.entryName!, ...components];
    const name = names.pop()!;
    let parent = this.#auth.destinationDir;
    await requireRealDir(parent, 'the destination folder');
    for (const step of names) {
      parent = join(parent, step);
      await requireRealDir(parent, `the folder ${step}`);
    }
    const partial = join(parent, partialName(this.#auth.taskId, name));
    // O_NOFOLLOW: a link planted under the temporary name cannot redirect the write.
    const handle = await open(partial, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    const hash = createHash('sha256');
    let offset = (await handle.stat()).size;
    if (offset > message.size) {
      await handle.truncate(0);
      offset = 0;
    }
    // The digest covers the whole file: the part kept from an earlier run is read back once.
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(offset, 1)));
    for (let at = 0; at < offset; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, offset - at), at);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    this.#file = { handle, partial, final: join(parent, name), parent, size: message.size, mode: message.mode, mtimeMs: message.mtimeMs, hash, written: offset };
    return offset;
  }

  async #write(bytes: Uint8Array): Promise<undefined> {
    const file = this.#requireFile('data');
    if (file.written + bytes.length > file.size) {
      throw new InvalidArgumentError(`"bytes" would take the file past its announced ${file.size} bytes`);
    }
    await file.handle.write(bytes, 0, bytes.length, file.written);
    file.hash.update(bytes);
    file.written += bytes.length;
    return undefined;
  }

  async #finish(sha256: Uint8Array): Promise<PushReply> {
    const file = this.#requireFile('end');
    if (file.written !== file.size) throw new InvalidArgumentError(`"end" came after ${file.written} of the file's ${file.size} bytes`);
    this.#file = undefined;
    const matches = Buffer.from(file.hash.digest()).equals(Buffer.from(sha256));
    if (!matches) {
      await file.handle.close();
      await rm(file.partial, { force: true });
      return { type: 'mismatch' };
    }
    try {
      await file.handle.chmod(file.mode);
      await file.handle.utimes(file.mtimeMs / 1000, file.mtimeMs / 1000);
      await file.handle.sync();
    } finally {
      await file.handle.close();
    }
    if ((await kindOf(file.final)) === 'dir') throw new FailedPreconditionError('the destination already holds a folder where a file goes');
    await rename(file.partial, file.final);
    await syncDir(file.parent);
    return { type: 'stored' };
  }

  #requireFile(what: string): OpenFile {
    if (!this.#file) throw new InvalidArgumentError(`"type" "${what}" came without a "file" before it`);
    return this.#file;
  }

  #expectNoFile(what: string): void {
    if (this.#file) throw new InvalidArgumentError(`"type" "${what}" came before the current file's "end"`);
  }
}

async function kindOf(path: string): Promise<'missing' | 'dir' | 'other'> {
  try {
    return (await lstat(path)).isDirectory() ? 'dir' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

/** Refuses a symbolic link or a file where a folder must be: nothing is written through a link. */
async function requireRealDir(path: string, what: string): Promise<void> {
  if ((await kindOf(path)) !== 'dir') throw new FailedPreconditionError(`${what} is missing or not a folder at the destination`);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** File-system failures as typed errors the source can classify; a full disk says so. */
function mapFsError(err: unknown): never {
  if (isHandoffError(err)) throw err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') throw new ResourceExhaustedError('no space left on the destination device', { cause: err });
  if (code === 'ELOOP' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST') {
    throw new FailedPreconditionError(`the destination holds something else where this entry goes (${code})`, { cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new FailedPreconditionError(`the destination may not be written (${code})`, { cause: err });
  throw err;
}
