/**
 * One run of a built-in transfer at the source: connects to the destination with the task's key
 * (pinning the destination's node id from the negotiation), pushes the tree, and continues inside
 * the file the destination already holds part of. Files the destination confirmed in an earlier
 * run (and that have not changed since) are not sent again. Resolves when the destination has
 * every file verified and in place; rejects with a typed error otherwise.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { DecodeError, UnavailableError } from '../../core/errors.js';
import type { Identity } from '../../crypto/identity.js';
import type { NodeId } from '../../crypto/node-id.js';
import { RpcClient } from '../../rpc/client.js';
import type { ClientStream } from '../../rpc/client-stream.js';
import type { Transport } from '../../transport/types.js';
import type { TaskId } from '../types.js';
import { BuiltinPush, CHUNK_BYTES, type PushMessage, type PushReply } from './methods.js';
import type { TreeEntry } from './tree.js';

/** How a run reaches the destination. */
export interface PushTarget {
  readonly transport: Transport;
  readonly address: string;
  readonly nodeId: NodeId;
  /** The task's own key: the only one the destination lets push this task. */
  readonly identity: Identity;
}

export interface PushRunOptions {
  readonly taskId: TaskId;
  readonly target: PushTarget;
  readonly entries: readonly TreeEntry[];
  /** True for a file the destination already confirmed with this size and time. */
  readonly isStored: (entry: Extract<TreeEntry, { type: 'file' }>) => boolean;
  /** Called once the destination confirmed a file. */
  readonly onStored: (entry: Extract<TreeEntry, { type: 'file' }>) => Promise<void>;
  /** Bytes of the tree that are at the destination now (only ever called with growing values within a run). */
  readonly onProgress: (bytes: number) => void;
  /** Waits as long as a bandwidth limit needs before `bytes` more may be sent. */
  readonly pace: (bytes: number, signal: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal;
}

/** Runs the push (see the file comment). */
export async function pushTree(o: PushRunOptions): Promise<void> {
  const client = new RpcClient({ transport: o.target.transport, address: o.target.address, identity: o.target.identity, expectedPeer: o.target.nodeId, maxIdleConnections: 0 });
  try {
    const stream = await client.stream(BuiltinPush, { signal: o.signal });
    const ask = async (message: PushMessage, expected: PushReply['type'][]): Promise<PushReply> => {
      await stream.send(message);
      return expectReply(stream, expected);
    };
    await ask({ type: 'begin', taskId: o.taskId }, ['ready']);
    let done = 0;
    for (const entry of o.entries) {
      if (entry.type === 'dir') {
        await ask({ type: 'dir', path: entry.path, mode: entry.mode }, ['made']);
        continue;
      }
      if (!o.isStored(entry)) {
        await sendFile(entry, stream, ask, (inFile) => o.onProgress(done + inFile), o);
        await o.onStored(entry);
      }
      done += entry.size;
      o.onProgress(done);
    }
    await ask({ type: 'done' }, ['finished']);
    await stream.closeSend();
    if ((await stream.receive()) !== undefined) throw new DecodeError('BuiltinTransfer.Push: the destination sent more after "finished"');
  } finally {
    await client.close();
  }
}

type Ask = (message: PushMessage, expected: PushReply['type'][]) => Promise<PushReply>;

/** Sends one file from the offset the destination names; a digest mismatch sends it once more from 0. */
async function sendFile(
  entry: Extract<TreeEntry, { type: 'file' }>,
  stream: ClientStream<PushMessage, PushReply>,
  ask: Ask,
  progress: (bytesOfFile: number) => void,
  o: PushRunOptions,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const reply = await ask({ type: 'file', path: entry.path, size: entry.size, mode: entry.mode, mtimeMs: entry.mtimeMs }, ['offset']);
    const offset = reply.type === 'offset' ? reply.offset : 0;
    const sha256 = await streamFile(entry, offset, stream, progress, o);
    const end = await ask({ type: 'end', sha256 }, ['stored', 'mismatch']);
    if (end.type === 'stored') return;
    // The kept part came from another version of the file (or a damaged disk): the destination
    // dropped it; one full resend settles it, a second mismatch means the file keeps changing.
    if (attempt >= 2) throw new UnavailableError(`${entry.path || 'the file'} changed while it was being sent`);
  }
}

/** Hashes [0, offset) locally, sends [offset, size), returns the whole file's SHA-256. */
async function streamFile(
  entry: Extract<TreeEntry, { type: 'file' }>,
  offset: number,
  stream: ClientStream<PushMessage, PushReply>,
  progress: (bytesOfFile: number) => void,
  o: PushRunOptions,
): Promise<Uint8Array> {
  const hash = createHash('sha256');
  const handle = await open(entry.local, 'r').catch((err: unknown) => {
    throw new UnavailableError(`${entry.path || 'the file'} vanished from the source while it was being sent`, { cause: err });
  });
  try {
    let at = 0;
    progress(Math.min(offset, entry.size));
    while (at < entry.size) {
      o.signal.throwIfAborted();
      const length = Math.min(CHUNK_BYTES, entry.size - at);
      // A fresh buffer per chunk: the stream may still hold the previous one while it is sent.
      const chunk = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(chunk, 0, length, at);
      if (bytesRead === 0) throw new UnavailableError(`${entry.path || 'the file'} shrank at the source while it was being sent`);
      const bytes = chunk.subarray(0, bytesRead);
      hash.update(bytes);
      if (at + bytesRead > offset) {
        const send = at >= offset ? bytes : bytes.subarray(offset - at);
        await o.pace(send.length, o.signal);
        await stream.send({ type: 'data', bytes: send });
        progress(at + bytesRead);
      }
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hash.digest();
}

async function expectReply(stream: ClientStream<PushMessage, PushReply>, expected: PushReply['type'][]): Promise<PushReply> {
  const reply = await stream.receive();
  if (reply === undefined) throw new UnavailableError('BuiltinTransfer.Push: the destination ended the stream early');
  if (!expected.includes(reply.type)) throw new DecodeError(`BuiltinTransfer.Push: expected ${expected.join(' or ')}, got ${reply.type}`);
  return reply;
}
