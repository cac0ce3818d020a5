/**
 * Until a peer has proven who it is, a server gives it little: frames of at most the handshake's
 * 1 KiB, a bounded number of connections in the handshake (in all and per remote host), and a
 * deadline. Time is a ManualClock, so the deadline is reached without waiting for it.
 */
import fc from 'fast-check';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { s } from '../../src/codec/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { Identity } from '../../src/crypto/index.js';
import { RpcClient, RpcServer, memoryNetwork, tcpTransport, unaryMethod, webSocketTransport, type Connection, type MemoryNetwork } from '../../src/transport/index.js';
import { frameHeader } from '../../src/transport/frame-parser.js';
import { Kind, decodeEnvelope } from '../../src/rpc/frames.js';
import { HANDSHAKE_FRAME_LIMIT } from '../../src/rpc/handshake.js';
import { remoteHost } from '../../src/rpc/server.js';
import { parseHostPort } from '../../src/transport/tcp.js';

const Echo = unaryMethod('Stranger.Echo', s.object({ text: s.string({ max: 100 }) }), s.object({ text: s.string() }));

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

async function memoryServer(options: Partial<ConstructorParameters<typeof RpcServer>[0]> = {}) {
  const net = memoryNetwork();
  const clock = new ManualClock();
  const server = new RpcServer({ identity: Identity.generate(), clock, ...options });
  server.unary(Echo, ({ text }) => ({ text }));
  const listener = await server.listen(net.transport({ host: 'server' }), 'server:1');
  stops.push(() => server.close());
  /** A raw connection from `host` that never starts the handshake. */
  const stranger = (host: string): Promise<Connection> => net.transport({ host }).dial(listener.address);
  const honestCall = async (text: string): Promise<unknown> => {
    const client = new RpcClient({ transport: net.transport({ host: 'honest' }), address: listener.address });
    try {
      return await client.call(Echo, { text });
    } finally {
      await client.close();
    }
  };
  return { net: net as MemoryNetwork, clock, server, stranger, honestCall };
}

/** What a refused or timed-out connection gets: one ERROR frame, then the end of the connection. */
async function refusal(connection: Connection): Promise<string> {
  const frame = await connection.receive();
  const envelope = decodeEnvelope(frame!, HANDSHAKE_FRAME_LIMIT);
  if (envelope.kind !== Kind.ERROR) throw new Error(`expected an ERROR frame, got kind ${envelope.kind}`);
  // Handshake-phase errors keep the three-element form every client version reads (docs/transports.md).
  expect(envelope.ending).toBe(false);
  await connection.receive().catch(() => undefined);
  await connection.done;
  expect(connection.closed).toBe(true);
  return envelope.code;
}

describe('connections in the handshake are capped', () => {
  it('per remote host and in all: the excess is refused with ResourceExhausted at once, an authenticated peer does not count', async () => {
    const { server, stranger, honestCall } = await memoryServer({ maxUnauthenticatedConnections: 3, maxUnauthenticatedPerAddress: 2 });
    expect(await honestCall('authenticated peers take no handshake slot')).toEqual({ text: 'authenticated peers take no handshake slot' });

    const first = await stranger('mallory');
    await stranger('mallory');
    expect(server.unauthenticatedCount).toBe(2);
    expect(await refusal(await stranger('mallory'))).toBe('ResourceExhausted');
    expect(server.unauthenticatedCount).toBe(2);

    await stranger('trudy');
    expect(server.unauthenticatedCount).toBe(3);
    expect(await refusal(await stranger('eve'))).toBe('ResourceExhausted');
    await expect(honestCall('refused while full')).rejects.toMatchObject({ name: 'ResourceExhaustedError' });

    first.reset();
    await vi.waitFor(() => expect(server.unauthenticatedCount).toBe(2));
    expect(await honestCall('served once a slot is free')).toEqual({ text: 'served once a slot is free' });
    expect(server.unauthenticatedCount).toBe(2);
  });

  it('the defaults are 256 in all and 32 per remote host', async () => {
    const { server, stranger } = await memoryServer();
    for (let i = 0; i < 32; i++) await stranger('mallory');
    expect(await refusal(await stranger('mallory'))).toBe('ResourceExhausted');
    for (let host = 0; server.unauthenticatedCount < 256; host++) {
      for (let i = 0; i < 32 && server.unauthenticatedCount < 256; i++) await stranger(`sybil-${host}`);
    }
    expect(await refusal(await stranger('one-more'))).toBe('ResourceExhausted');
    expect(server.unauthenticatedCount).toBe(256);
  });

  it('the host of a remote address is what is counted: the port goes, IPv4 mapped into IPv6 is IPv4', () => {
    expect(remoteHost('10.1.2.3:4567')).toBe('10.1.2.3');
    expect(remoteHost('[2001:db8::1]:4567')).toBe('2001:db8::1');
    expect(remoteHost('::1:4567')).toBe('::1');
    expect(remoteHost('[::ffff:10.1.2.3]:4567')).toBe('10.1.2.3');
    expect(remoteHost('::ffff:10.1.2.3:4567')).toBe('10.1.2.3');
    expect(remoteHost('node-7')).toBe('node-7');
  });
});

describe('a connection that does not finish the handshake in time', () => {
  it('is told DeadlineExceeded and closed when the handshake timeout passes, and frees its slot', async () => {
    const { clock, server, stranger } = await memoryServer({ handshakeTimeoutMs: 10_000, maxUnauthenticatedPerAddress: 1 });
    const silent = await stranger('mallory');
    expect(clock.pending).toBe(1); // the handshake deadline
    clock.advance(9_999);
    expect(silent.closed).toBe(false);
    expect(server.unauthenticatedCount).toBe(1);
    clock.advance(1);
    expect(await refusal(silent)).toBe('DeadlineExceeded');
    await vi.waitFor(() => expect(server.unauthenticatedCount).toBe(0));
    const next = await stranger('mallory'); // the host's one slot is free again
    expect(server.unauthenticatedCount).toBe(1);
    expect(next.closed).toBe(false);
  });

  it('over TCP too: half a frame and then silence is cut off at the deadline', async () => {
    const clock = new ManualClock();
    const server = new RpcServer({ identity: Identity.generate(), clock, handshakeTimeoutMs: 10_000 });
    const listener = await server.listen(tcpTransport(), '127.0.0.1:0');
    stops.push(() => server.close());
    const { host, port } = parseHostPort(listener.address);
    const socket = net.connect({ host, port }, () => socket.write(Buffer.concat([frameHeader(100), Buffer.alloc(10)])));
    stops.push(async () => void socket.destroy());
    const closed = new Promise<void>((resolve) => {
      socket.on('data', () => undefined); // a socket that does not read never sees its end
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
    await vi.waitFor(() => expect(clock.pending).toBe(1)); // accepted: the handshake deadline is armed
    clock.advance(10_000);
    await closed;
    await vi.waitFor(() => expect(server.unauthenticatedCount).toBe(0));
  });
});

describe('frames before authentication', () => {
  it('a frame over the handshake limit resets the connection, whichever side sends it', async () => {
    const { net, stranger, server } = await memoryServer();
    const big = await stranger('mallory');
    await big.send(new Uint8Array(HANDSHAKE_FRAME_LIMIT + 1));
    await expect(big.receive()).rejects.toMatchObject({ name: 'UnavailableError' });
    await vi.waitFor(() => expect(server.unauthenticatedCount).toBe(0));

    // A hostile server: the client is held to 1 KiB too until the server proves who it is.
    const hostile = net.transport({ host: 'hostile' });
    const accepted: Connection[] = [];
    const listener = await hostile.listen('hostile:1', (connection) => {
      accepted.push(connection);
      void connection.receive().then(() => connection.send(new Uint8Array(HANDSHAKE_FRAME_LIMIT + 1)));
    });
    stops.push(() => listener.close());
    const client = new RpcClient({ transport: net.transport({ host: 'victim' }), address: listener.address });
    await expect(client.connect()).rejects.toMatchObject({ name: 'ResourceExhaustedError' });
    await client.close();
    await expect(accepted[0]!.done).resolves.toBeInstanceOf(Error);
  });

  it.each(['tcp', 'websocket'] as const)('over %s, a header announcing more than 1 KiB is enough to be closed: nothing waits for the body', async (kind) => {
    // A deadline far away: only the frame limit can close the connection within the test.
    const server = new RpcServer({ identity: Identity.generate(), handshakeTimeoutMs: 600_000 });
    const listener = await server.listen(kind === 'tcp' ? tcpTransport() : webSocketTransport(), '127.0.0.1:0');
    stops.push(() => server.close());
    const { host, port } = parseHostPort(listener.address);
    const socket = net.connect({ host, port });
    stops.push(async () => void socket.destroy());
    const closed = new Promise<void>((resolve) => {
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
    const announced = 2 * HANDSHAKE_FRAME_LIMIT;
    if (kind === 'tcp') {
      socket.write(Buffer.concat([frameHeader(announced), Buffer.alloc(10)]));
      socket.on('data', () => undefined);
    } else {
      socket.write(`GET /handoff HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      let response = '';
      socket.on('data', (chunk: Buffer) => {
        if (response.includes('\r\n\r\n')) return;
        response += chunk.toString('latin1');
        if (!response.includes('\r\n\r\n')) return;
        expect(response.startsWith('HTTP/1.1 101')).toBe(true);
        // A masked binary frame with a 16-bit length, its mask, and 10 bytes of the payload.
        socket.write(Buffer.from([0x82, 0x80 | 126, announced >> 8, announced & 0xff, 1, 2, 3, 4, ...new Array<number>(10).fill(0)]));
      });
    }
    await closed;
    await vi.waitFor(() => expect(server.unauthenticatedCount).toBe(0));
  });

  it('after the handshake the transport\'s own limit applies again, both ways', async () => {
    const Big = unaryMethod('Stranger.Big', s.object({ data: s.bytes({ max: 1 << 20 }) }), s.object({ data: s.bytes({ max: 1 << 20 }) }));
    const { server, net } = await memoryServer();
    server.unary(Big, ({ data }) => ({ data }));
    const client = new RpcClient({ transport: net.transport({ host: 'honest' }), address: 'server:1' });
    stops.push(() => client.close());
    const data = new Uint8Array(512 * 1024).fill(3);
    const reply = await client.call(Big, { data });
    expect(Buffer.from(reply.data).equals(Buffer.from(data))).toBe(true);
  });
});

describe('random bytes from a stranger over TCP', () => {
  it('end in a closed connection (an ERROR frame at most), never a crash, and the server keeps serving', async () => {
    const server = new RpcServer({ identity: Identity.generate(), handshakeTimeoutMs: 300 });
    server.unary(Echo, ({ text }) => ({ text }));
    const listener = await server.listen(tcpTransport(), '127.0.0.1:0');
    stops.push(() => server.close());
    const { host, port } = parseHostPort(listener.address);

    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      // A plausible length, then garbage: the parser has to get past the header.
      fc.tuple(fc.integer({ min: 0, max: 2 * HANDSHAKE_FRAME_LIMIT }), fc.uint8Array({ maxLength: 2100 })).map(([length, body]) => {
        const out = new Uint8Array(4 + body.length);
        out.set(frameHeader(length));
        out.set(body, 4);
        return out;
      }),
    );
    await fc.assert(
      fc.asyncProperty(bytes, fc.integer({ min: 1, max: 700 }), async (payload, cut) => {
        const socket = net.connect({ host, port });
        const closed = new Promise<Buffer>((resolve) => {
          const chunks: Buffer[] = [];
          socket.on('data', (c: Buffer) => chunks.push(c));
          socket.on('error', () => undefined);
          socket.on('close', () => resolve(Buffer.concat(chunks)));
        });
        socket.on('connect', () => {
          for (let at = 0; at < payload.length; at += cut) socket.write(payload.subarray(at, at + cut));
        });
        const reply = await closed;
        // Whatever came back is at most one small ERROR frame (or a HELLO_REPLY first, if the garbage was a valid HELLO).
        expect(reply.length).toBeLessThanOrEqual(2 * HANDSHAKE_FRAME_LIMIT);
      }),
      { numRuns: 40 },
    );
    const client = new RpcClient({ transport: tcpTransport(), address: listener.address });
    stops.push(() => client.close());
    expect(await client.call(Echo, { text: 'still here' })).toEqual({ text: 'still here' });
    await vi.waitFor(() => expect(server.unauthenticatedCount).toBe(0));
  });
});
