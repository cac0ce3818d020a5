import net from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { transportSuite } from '../../src/testing/suites.js';
import { transportRpcSuite } from '../../src/testing/transport-rpc-suite.js';
import { s } from '../../src/codec/index.js';
import { Identity } from '../../src/crypto/identity.js';
import { RpcClient, RpcServer, tcpTransport, unaryMethod, webSocketTransport, type Connection, type Listener } from '../../src/transport/index.js';
import { expectNothingLeftSince, resourceBaseline } from '../support/resources.js';

// One port, two protocols. A WebSocket client of the listener gets the whole transport contract.
transportSuite('tcp listener accepting websocket, dialed over websocket', {
  async setup(limits) {
    return { listener: tcpTransport({ ...limits, acceptWebSocket: true }), dialer: webSocketTransport(limits), address: '127.0.0.1:0', unreachableAddress: '127.0.0.1:1' };
  },
});

// A TCP client gets the whole RPC stack. Not the frame-level suite: the listener tells the
// protocols apart by the first byte, so it hands over a TCP connection once the client has spoken
// (an RPC client always speaks first), where that suite waits for the accept before sending.
describe('tcp listener accepting websocket, dialed over tcp', () => {
  transportRpcSuite({
    async setupPair(limits = {}) {
      return { listener: tcpTransport({ ...limits, acceptWebSocket: true }), dialer: tcpTransport(limits), address: '127.0.0.1:0', unreachableAddress: '127.0.0.1:1' };
    },
    open() {
      throw new Error('the RPC suite only pairs transports');
    },
  });
});

/**
 * Sends `bytes` on a raw socket (then ends it, with `end`) and resolves with what came back once
 * the listener closed it.
 */
function rawExchange(address: string, bytes: Uint8Array | string, end = false): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: host!, port: Number(port) }, () => (end ? socket.end(bytes) : socket.write(bytes)));
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(reply));
    socket.on('timeout', () => reject(new Error('listener kept the socket open')));
    socket.setTimeout(5_000);
  });
}

async function echoes(connection: Connection): Promise<void> {
  for (;;) {
    const frame = await connection.receive().catch(() => undefined);
    if (frame === undefined) return;
    await connection.send([frame]).catch(() => {});
  }
}

async function roundTrip(dialer: ReturnType<typeof tcpTransport>, address: string, payload: Uint8Array): Promise<Uint8Array | undefined> {
  const connection = await dialer.dial(address);
  try {
    await connection.send([payload]);
    return await connection.receive();
  } finally {
    await connection.close();
  }
}

describe('a TCP listener that accepts WebSocket clients', () => {
  let listener: Listener | undefined;
  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  it('answers a plain HTTP request with 426 and a WebSocket on another path with 404, then closes', async () => {
    listener = await tcpTransport({ acceptWebSocket: true }).listen('127.0.0.1:0', (c) => void echoes(c));
    expect(await rawExchange(listener.address, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 426/);
    const upgrade = 'GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
    expect(await rawExchange(listener.address, upgrade)).toMatch(/^HTTP\/1\.1 404/);
  });

  it('serves its own path when given one', async () => {
    listener = await tcpTransport({ acceptWebSocket: { path: '/rpc' } }).listen('127.0.0.1:0', (c) => void echoes(c));
    const reply = await roundTrip(webSocketTransport({ path: '/rpc' }), listener.address, new Uint8Array([1, 2, 3]));
    expect(reply).toEqual(new Uint8Array([1, 2, 3]));
    await expect(webSocketTransport().dial(listener.address)).rejects.toMatchObject({ name: 'UnavailableError' });
  });

  it('drops a socket that never says anything', async () => {
    listener = await tcpTransport({ acceptWebSocket: true, connectTimeoutMs: 100 }).listen('127.0.0.1:0', () => {});
    expect(await rawExchange(listener.address, new Uint8Array(0))).toBe('');
  });

  it('closes sockets that are still upgrading when the listener closes', async () => {
    const accepted: Connection[] = [];
    const own = await tcpTransport({ acceptWebSocket: true }).listen('127.0.0.1:0', (c) => accepted.push(c));
    const halfRequest = rawExchange(own.address, 'GET /handoff HTTP/1.1\r\nHost: x\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await own.close();
    expect(await halfRequest).toBe('');
    expect(accepted).toEqual([]);
  });

  it('is refused with TLS', () => {
    expect(() => tcpTransport({ acceptWebSocket: true, tls: { cert: 'x', key: 'y' } })).toThrow(/acceptWebSocket/);
  });

  it('survives any first bytes and keeps serving TCP and WebSocket clients', async () => {
    listener = await tcpTransport({ acceptWebSocket: true, connectTimeoutMs: 200, maxFrameBytes: 1024 }).listen('127.0.0.1:0', (c) => void echoes(c));
    const address = listener.address;
    const http = fc.tuple(fc.constantFrom('GET ', 'GET /handoff HTTP/1.1\r\n', 'G', 'GET /handoff HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'), fc.string({ maxLength: 200 }))
      .map(([head, tail]) => new TextEncoder().encode(head + tail));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 300 }), http), async (bytes) => {
        await rawExchange(address, bytes, true);
      }),
      { numRuns: 60 },
    );
    const payload = new Uint8Array([9, 8, 7]);
    expect(await roundTrip(tcpTransport(), address, payload)).toEqual(payload);
    expect(await roundTrip(webSocketTransport(), address, payload)).toEqual(payload);
  });

  it('leaves nothing running after close: WebSocket and TCP calls in flight, a half-sent upgrade, a silent socket', async () => {
    const baseline = resourceBaseline();
    const Hold = unaryMethod('SharedPort.Hold', s.object({}), s.object({}));
    const server = new RpcServer({ identity: Identity.generate() });
    let held = 0;
    let entered!: () => void;
    const bothHeld = new Promise<void>((resolve) => (entered = () => ++held === 2 && resolve()));
    server.unary(Hold, (_request, ctx) => {
      entered();
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
    });
    const own = await server.listen(tcpTransport({ acceptWebSocket: true }), '127.0.0.1:0');
    const clients = [webSocketTransport(), tcpTransport()].map((transport) => new RpcClient({ transport, address: own.address, identity: Identity.generate() }));
    const calls = clients.map((client) => client.call(Hold, {}).catch((err: Error) => err.name));
    await bothHeld;
    const halfUpgrade = rawExchange(own.address, 'GET /handoff HTTP/1.1\r\nHost: x\r\n');
    const silent = rawExchange(own.address, new Uint8Array(0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    expect(await Promise.all([halfUpgrade, silent])).toEqual(['', '']);
    expect((await Promise.all(calls)).every((name) => typeof name === 'string')).toBe(true);
    await Promise.all(clients.map((client) => client.close()));
    await expectNothingLeftSince(baseline);
  });
});
