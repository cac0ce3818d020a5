/**
 * WebSocket clients on a TCP listener's own port (`tcpTransport({ acceptWebSocket: true })`):
 * the listener looks at each connection's first byte, and an HTTP request goes through Node's
 * HTTP parser to `ws`, the rest to the length-prefixed TCP framing. So a storage node keeps one
 * address, `host:port`, that a Node uplink dials over TCP and a browser as
 * `ws://host:port/handoff` — the satellite hands out the same address to both (docs/transports.md).
 *
 * Node only, and loaded so that bundlers see no Node module: `node:http` through
 * `process.getBuiltinModule`, `ws` by a dynamic import made only when a listener is started.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { UnavailableError } from '../core/errors.js';
import { DEFAULT_MAX_FRAME_BYTES, type Connection, type FrameLimits } from './types.js';
import { WsConnection, type WebSocketLike } from './websocket-connection.js';

/**
 * `G`, the first byte of `GET`. No handoff TCP connection starts with it: a frame header starting
 * with 0x47 announces over 1.1 GiB, far beyond any frame limit, and TLS records start with 0x16.
 */
const HTTP_GET = 0x47;

export interface WebSocketUpgradeOptions extends FrameLimits {
  /** The path WebSocket clients must request. */
  readonly path: string;
  /** How long a connection may take to send its first byte, and an HTTP one to finish its upgrade. */
  readonly timeoutMs: number;
  /** The listener's address, as the connections' `localAddress` (known once it is bound). */
  readonly localAddress: () => string;
  readonly onConnection: (connection: Connection) => void;
}

/** @internal The WebSocket side of one TCP listener. */
export interface WebSocketUpgrades {
  /**
   * Reads `raw`'s first bytes. `false`: not HTTP — the bytes are put back and the socket is the
   * caller's. `true`: the socket is taken (a WebSocket, or it closed or stayed silent too long).
   */
  claim(raw: Socket): Promise<boolean>;
  /** Destroys sockets still upgrading, resets the connections made, and waits until they are closed. */
  close(): Promise<void>;
}

type HttpModule = typeof import('node:http');

function httpModule(): HttpModule {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') throw new UnavailableError('accepting WebSocket clients needs Node');
  return proc.getBuiltinModule('node:http') as HttpModule;
}

/** The first chunk `raw` sends, or `undefined` if it closes or sends nothing for `timeoutMs`. */
function firstChunk(raw: Socket, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const done = (chunk: Buffer | undefined) => {
      clearTimeout(timer);
      raw.off('readable', onReadable);
      raw.off('close', onClose);
      raw.off('error', onClose);
      resolve(chunk);
    };
    const onReadable = () => {
      const chunk = raw.read() as Buffer | null;
      if (chunk !== null) done(chunk);
    };
    const onClose = () => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    raw.on('readable', onReadable);
    raw.once('close', onClose);
    raw.once('error', onClose);
  });
}

/** @internal Starts the WebSocket side of a TCP listener. */
export async function webSocketUpgrades(options: WebSocketUpgradeOptions): Promise<WebSocketUpgrades> {
  const { WebSocketServer } = await import('ws');
  const wss: WebSocketServer = new WebSocketServer({
    noServer: true,
    path: options.path,
    maxPayload: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });
  // Never listens: it only parses the requests of sockets handed to it.
  const http: HttpServer = httpModule().createServer();
  /** Sockets between their first byte and a finished upgrade, with the timer that drops them. */
  const upgrading = new Map<Socket, ReturnType<typeof setTimeout> | undefined>();
  const connections = new Set<WsConnection>();
  let closed = false;

  http.on('request', (_request, response) => {
    response.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end('handoff: WebSocket only\n');
  });
  http.on('clientError', (_err, socket: Socket) => socket.destroy());
  http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!wss.shouldHandle(request)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws: NodeWebSocket) => {
      clearTimeout(upgrading.get(socket));
      upgrading.delete(socket);
      const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
      const connection = new WsConnection(ws as unknown as WebSocketLike, 'ws', options, remote, options.localAddress());
      connections.add(connection);
      void connection.done.then(() => connections.delete(connection));
      if (closed) connection.reset(new UnavailableError('listener closed'));
      else options.onConnection(connection);
    });
  });

  return {
    async claim(raw) {
      upgrading.set(raw, undefined);
      const chunk = await firstChunk(raw, options.timeoutMs);
      if (chunk === undefined || closed) {
        upgrading.delete(raw);
        raw.destroy();
        return true;
      }
      raw.unshift(chunk);
      if (chunk[0] !== HTTP_GET) {
        upgrading.delete(raw);
        return false;
      }
      // An upgrade that has not finished in time is dropped, like a TCP dial that never connects.
      upgrading.set(raw, setTimeout(() => raw.destroy(), options.timeoutMs));
      raw.once('close', () => {
        clearTimeout(upgrading.get(raw));
        upgrading.delete(raw);
      });
      http.emit('connection', raw);
      return true;
    },
    async close() {
      closed = true;
      const gone = [...upgrading.keys()].map((socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : (socket.once('close', () => resolve()), socket.destroy()))));
      const serving = [...connections].map((connection) => (connection.reset(new UnavailableError('listener closed')), connection.done));
      await Promise.all([...gone, ...serving, new Promise<void>((resolve) => wss.close(() => resolve()))]);
    },
  };
}
