/**
 * The console's static server: the page's built assets and `config.json` (where the core is and
 * its node id), over plain HTTP, GET and HEAD only. It has no API that changes state or reads
 * anyone's data: the page talks to the core through the SDK's own TransferClient over WebSocket,
 * proving the user's key like any other client (docs/console.md).
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { parseHostPort } from '../transport/host-port.js';

/** What the page needs to dial the core; public, like the address `core run` prints. */
export interface ConsoleConfig {
  /** The core's node id; the page's client refuses any other server. */
  readonly coreId: string;
  /** Where the page dials the core over WebSocket: `host:port` (path `/handoff`) or a `ws://` URL. */
  readonly coreAddress: string;
}

/** Options of {@link serveConsole}. */
export interface ConsoleServerOptions {
  /** `host:port` to listen on (port 0: any free port). */
  readonly address: string;
  /** The directory the console was built into (see {@link consoleAssetsDir}). */
  readonly assetsDir: string;
  readonly config: ConsoleConfig;
}

/** A running console server. */
export interface ConsoleServer {
  /** `http://host:port/`, the address to open in a browser. */
  readonly url: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

/** Longest request path served; anything longer is a 414 before any file system access. */
const MAX_PATH = 512;

/**
 * The file under `root` that `urlPath` names, or undefined when it would leave `root`, is not
 * decodable, or is too long. `/` is `index.html`.
 */
export function assetPath(root: string, urlPath: string): string | undefined {
  if (urlPath.length > MAX_PATH) return undefined;
  const pathname = urlPath.split('?')[0]!.split('#')[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const base = resolve(root);
  const file = resolve(base, '.' + (decoded.endsWith('/') ? decoded + 'index.html' : decoded));
  return file.startsWith(base + sep) ? file : undefined;
}

/** Serves the console from `assetsDir` until closed. */
export async function serveConsole(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const configBody = Buffer.from(JSON.stringify({ coreId: options.config.coreId, coreAddress: options.config.coreAddress }));
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    void answer(options.assetsDir, configBody, request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket: Socket) => socket.destroy());
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  const { host, port } = parseHostPort(options.address);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const bound = server.address() as { port: number };
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound.port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

async function answer(root: string, configBody: Buffer, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // Read-only by construction: every other method is refused before the path is looked at.
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('the console serves files only\n');
    return;
  }
  const url = request.url ?? '/';
  const headers = {
    'X-Content-Type-Options': 'nosniff',
    // The page may only dial WebSockets (to the core) besides its own origin.
    'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
    'Cache-Control': 'no-cache',
  };
  if (url.split('?')[0] === '/config.json') {
    response.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Content-Length': configBody.length });
    response.end(request.method === 'HEAD' ? undefined : configBody);
    return;
  }
  const file = url.length > MAX_PATH ? undefined : assetPath(root, url);
  if (url.length > MAX_PATH) {
    response.writeHead(414, headers).end();
    return;
  }
  const found = file === undefined ? undefined : await stat(file).catch(() => undefined);
  if (file === undefined || !found?.isFile()) {
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  const body = await readFile(file);
  response.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
  response.end(request.method === 'HEAD' ? undefined : body);
}
