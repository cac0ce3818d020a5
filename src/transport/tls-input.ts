import type tls from 'node:tls';
import type { ReadInput } from './read-input.js';

/** The three fields through which a `net.Socket` made with `onread` reads into chosen buffers. */
interface UserBufferFields {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

let fields: UserBufferFields | undefined;

/**
 * `net.Socket`'s own symbols for `onread` (`kBuffer`, `kBufferCb`, `kBufferGen`), found by
 * their descriptions on a socket (every socket has all three, null without `onread`);
 * `undefined` when this one has none of those names, and the caller then reads as before.
 */
function userBufferFields(socket: object): UserBufferFields | undefined {
  if (fields !== undefined) return fields;
  const symbols = Object.getOwnPropertySymbols(socket);
  const find = (name: string): symbol | undefined => symbols.find((s) => s.description === name);
  const [buffer, callback, generator] = [find('kBuffer'), find('kBufferCb'), find('kBufferGen')];
  if (buffer && callback && generator) fields = { buffer, callback, generator };
  return fields;
}

/**
 * Makes an accepted TLS socket read into `input`'s buffers, as a dialed one does through
 * `onread`: Node honours `onread` only for a TLS socket it connects itself, and a server's TLS
 * socket wraps one Node accepted. Read through 'data' events instead, every read (a small
 * frame, under many callers) became a fresh buffer pushed through the socket's stream machinery,
 * and every big frame was copied out of 16 KiB records. Call it once the handshake is done and before
 * anything listens for 'data'; bytes Node already read (the peer's first frames, sent right
 * behind its handshake) go to `input` first. Returns `false`, changing nothing, when this Node
 * lacks what it leans on (the socket's `_handle.useUserBuffer` and the `onread` symbols).
 */
export function readTlsInto(socket: tls.TLSSocket, input: ReadInput): boolean {
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: unknown } | null })._handle;
  const symbols = userBufferFields(socket);
  if (symbols === undefined || typeof handle?.useUserBuffer !== 'function') return false;
  const early = socket.readableLength > 0 ? (socket.read() as Uint8Array | null) : null;
  if (early !== null) feed(input, early);
  const target = input.onread.buffer();
  const owned = socket as unknown as Record<symbol, unknown>;
  owned[symbols.buffer] = target;
  owned[symbols.callback] = input.onread.callback;
  owned[symbols.generator] = input.onread.buffer;
  (handle.useUserBuffer as (buffer: Uint8Array) => void).call(handle, target);
  return true;
}

/** Hands `bytes` to `input` as reads into its buffers would have. */
function feed(input: ReadInput, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) {
    const target = input.onread.buffer();
    const n = Math.min(target.length, bytes.length - at);
    target.set(bytes.subarray(at, at + n));
    input.onread.callback(n);
    at += n;
  }
}
