/**
 * The built-in plugin's one RPC: `BuiltinTransfer.Push`, a bidirectional stream from the source
 * provider to the destination provider. The source opens it with the task's own key (the one the
 * destination authorized in the key exchange), names the task in `begin`, then sends the tree one
 * entry at a time; the destination answers each file with the bytes it already holds (so a resumed
 * run continues inside the file) and each finished file once it is verified and in place.
 */
import { s, type Infer } from '../../codec/index.js';
import { streamMethod } from '../../rpc/method.js';

/** Bytes per `data` message: large enough to stream at memory speed, far below the frame limit. */
export const CHUNK_BYTES = 1 << 20;
/** Longest relative path inside a transferred entry, in UTF-8 bytes (Linux's PATH_MAX). */
export const MAX_RELATIVE_PATH_BYTES = 4096;
/** Largest file the protocol describes (2^53 - 1, a safe integer). */
export const MAX_FILE_BYTES = Number.MAX_SAFE_INTEGER;

const relativePath = s.string({ max: MAX_RELATIVE_PATH_BYTES });

/** Source → destination messages. */
export const pushMessageSchema = s.variant('type', {
  /** First message: the task this stream is for. */
  begin: s.object({ taskId: s.int({ min: 0 }) }),
  /** A folder ('' is the transferred entry itself). */
  dir: s.object({ path: relativePath, mode: s.int({ min: 0, max: 0o777 }) }),
  /** A file follows: its size, permission bits and modification time. */
  file: s.object({ path: relativePath, size: s.int({ min: 0, max: MAX_FILE_BYTES }), mode: s.int({ min: 0, max: 0o777 }), mtimeMs: s.float({ min: 0 }) }),
  /** The next bytes of the current file, from the offset the destination named. */
  data: s.object({ bytes: s.bytes({ min: 1, max: CHUNK_BYTES }) }),
  /** The current file is complete: the SHA-256 of all of it. */
  end: s.object({ sha256: s.bytes({ length: 32 }) }),
  /** Every entry has been sent. */
  done: s.object({}),
});
export type PushMessage = Infer<typeof pushMessageSchema>;

/** Destination → source replies. */
export const pushReplySchema = s.variant('type', {
  /** The task and the key match; send the tree. */
  ready: s.object({}),
  /** The folder exists. */
  made: s.object({}),
  /** Reply to `file`: how many bytes of it the destination already holds; send the rest. */
  offset: s.object({ offset: s.int({ min: 0, max: MAX_FILE_BYTES }) }),
  /** The file was verified and renamed into place. */
  stored: s.object({}),
  /** The bytes did not hash to `sha256`; the partial file was dropped; send the file again from 0. */
  mismatch: s.object({}),
  /** Reply to `done`. */
  finished: s.object({}),
});
export type PushReply = Infer<typeof pushReplySchema>;

/**
 * The stream. Each request gets exactly one reply except `data`, which gets none: the transport's
 * backpressure paces the sender.
 */
export const BuiltinPush = streamMethod('BuiltinTransfer.Push', pushMessageSchema, pushReplySchema);
