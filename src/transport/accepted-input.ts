/**
 * How a socket a listener accepted comes to read into the transport's own buffers, as a dialed
 * one does: a TLS socket in place once its handshake is done (see tls-input.ts), a plain one
 * moved under a socket made with `onread`.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { ReadInput } from './read-input.js';
import { readTlsInto } from './tls-input.js';

/**
 * The socket to serve an accepted connection on, and the input it reads into our buffers
 * through, as a dialed socket does: a TLS socket (its handshake done) reads in place
 * (readTlsInto); a plain one still paused on connect moves under a new socket made to read so
 * (adoptSocket). No input — the socket is then read through 'data' events — for a plain socket
 * that was not paused (its listener reads the first byte, for WebSocket upgrades), or when this
 * Node lacks what those lean on.
 */
export function acceptedInput(netModule: typeof net, socket: net.Socket, secure: boolean, pausedOnConnect: boolean, maxFrameBytes: number): { socket: net.Socket; input?: ReadInput } {
  if (!secure && !pausedOnConnect) return { socket };
  const input = new ReadInput(maxFrameBytes);
  if (secure) return readTlsInto(socket as tls.TLSSocket, input) ? { socket, input } : { socket };
  const adopted = adoptSocket(netModule, socket, input);
  return adopted === undefined ? { socket } : { socket: adopted, input };
}

/**
 * Moves an accepted socket's handle under a new socket that reads into `input`'s buffers: Node
 * offers `onread` only to sockets it makes itself, and a server's sockets are made by Node. The
 * accepted socket must still be paused (`pauseOnConnect`), so nothing was read yet. This leans on
 * two of `net.Socket`'s underscored fields (`_handle`, and `_server`, which keeps the server's
 * connection count right); if they are ever missing, `undefined`, and the socket is used as is.
 */
function adoptSocket(netModule: typeof net, raw: net.Socket, input: ReadInput): net.Socket | undefined {
  const inner = raw as unknown as { _handle?: object | null; _server?: unknown };
  const handle = inner._handle;
  if (handle === undefined || handle === null || !('readStart' in handle) || !('_server' in inner)) return undefined;
  const options = { handle, readable: true, writable: true, onread: input.onread };
  const socket = new netModule.Socket(options as net.SocketConstructorOpts);
  const adopted = socket as unknown as { _server?: unknown };
  inner._handle = null;
  adopted._server = inner._server;
  inner._server = null;
  return socket;
}
