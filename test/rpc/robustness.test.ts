/**
 * A server must survive hostile clients: garbage, oversized frames, a half frame then silence, a
 * flood of connections. Each gets a typed error or a closed connection, and honest clients keep
 * being served throughout.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { s } from '../../src/codec/index.js';
import { encode } from '../../src/codec/msgpack.js';
import { Identity } from '../../src/crypto/index.js';
import fc from 'fast-check';
import { DecodeError, InvalidArgumentError, NotFoundError } from '../../src/core/errors.js';
import { decodeEnvelope, encodeEnvelope, Kind } from '../../src/rpc/frames.js';
import { clientHandshake } from '../../src/rpc/handshake.js';
import { RpcClient, RpcServer, streamMethod, tcpTransport, unaryMethod } from '../../src/transport/index.js';
import { frameHeader } from '../../src/transport/frame-parser.js';
import { parseHostPort } from '../../src/transport/tcp.js';

const Echo = unaryMethod('Robust.Echo', s.object({ text: s.string({ max: 100 }) }), s.object({ text: s.string() }));

let server: RpcServer;
let address: string;
const sockets: net.Socket[] = [];

async function startServer(options: { handshakeTimeoutMs?: number; maxConnections?: number } = {}) {
  server = new RpcServer({ identity: Identity.generate(), ...options });
  server.unary(Echo, ({ text }) => ({ text }));
  const listener = await server.listen(tcpTransport({ maxFrameBytes: 64 * 1024 }), '127.0.0.1:0');
  address = listener.address;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
});

function rawSocket(): Promise<net.Socket> {
  const { host, port } = parseHostPort(address);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => resolve(socket));
    socket.on('error', reject);
    sockets.push(socket);
  });
}

/** Resolves with every byte the server sent once it closed the socket. */
function closedBy(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function honestCallWorks(): Promise<void> {
  const client = new RpcClient({ transport: tcpTransport(), address });
  try {
    expect(await client.call(Echo, { text: 'still serving' })).toEqual({ text: 'still serving' });
  } finally {
    await client.close();
  }
}

describe('a server facing hostile clients', () => {
  it('answers garbage instead of a handshake with an error and closes that connection', async () => {
    await startServer();
    const socket = await rawSocket();
    const closed = closedBy(socket);
    const garbage = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.write(Buffer.concat([frameHeader(garbage.length), garbage]));
    const reply = await closed;
    expect(reply.length).toBeGreaterThan(4); // an ERROR frame came back before the close
    await honestCallWorks();
  });

  it('closes a connection that announces an oversized frame without buffering it', async () => {
    // The handshake would wait a minute: a close before that comes from the header alone.
    await startServer({ handshakeTimeoutMs: 60_000 });
    const socket = await rawSocket();
    const closed = closedBy(socket);
    socket.write(frameHeader(1024 * 1024 * 1024)); // 1 GiB announced, not one byte of it sent
    await closed;
    await vi.waitFor(() => expect(server.connectionCount).toBe(0));
    await honestCallWorks();
  });

  it('closes a connection that sends half a frame and then goes silent, once the handshake time is up', async () => {
    await startServer({ handshakeTimeoutMs: 200 });
    const socket = await rawSocket();
    const closed = closedBy(socket);
    socket.write(Buffer.concat([frameHeader(100), Buffer.alloc(10)]));
    await honestCallWorks(); // served while the silent one is pending
    await closed;
    expect(server.connectionCount).toBe(0);
  });

  it('refuses connections beyond its limit with ResourceExhausted and keeps serving', async () => {
    await startServer({ maxConnections: 5, handshakeTimeoutMs: 2_000 });
    const flood = await Promise.all(Array.from({ length: 5 }, () => rawSocket()));
    await vi.waitFor(() => expect(server.connectionCount).toBe(5));
    const client = new RpcClient({ transport: tcpTransport(), address });
    await expect(client.call(Echo, { text: 'x' })).rejects.toMatchObject({ name: 'ResourceExhaustedError' });
    await client.close();
    for (const socket of flood) socket.destroy();
    await vi.waitFor(() => expect(server.connectionCount).toBe(0));
    await honestCallWorks();
  });

  it('a frame that is valid msgpack but not a valid call ends only that connection', async () => {
    await startServer();
    const honest = new RpcClient({ transport: tcpTransport(), address });
    try {
      await honest.connect(); // authenticated and pooled before any bad frame arrives
      const notCalls = [
        [Kind.CALL, 'Robust.Echo', null], // one element short
        [Kind.CALL, '', null, { text: 'x' }], // no method name
        [Kind.CALL, 'Robust.Echo', -1, { text: 'x' }], // a negative deadline
        [Kind.MSG, { text: 'x' }], // a stream message outside any call
        [99, 'Robust.Echo'], // no such frame kind
        [],
        { kind: Kind.CALL, method: 'Robust.Echo' },
        'Robust.Echo',
      ];
      for (const notCall of notCalls) {
        // Past the handshake, so the frame reaches call decoding.
        const connection = await tcpTransport().dial(address);
        await clientHandshake(connection, Identity.generate());
        await connection.send(encode(notCall));
        const reply = await connection.receive();
        expect(reply && decodeEnvelope(reply, 1024 * 1024), JSON.stringify(notCall)).toMatchObject({ kind: Kind.ERROR, code: 'InvalidArgument' });
        await connection.done;
        expect(connection.closed).toBe(true);
      }
      await vi.waitFor(() => expect(server.connectionCount).toBe(1));
      expect(await honest.call(Echo, { text: 'still serving' })).toEqual({ text: 'still serving' });
      expect(server.connectionCount).toBe(1); // on the connection it had all along
    } finally {
      await honest.close();
    }
  });
});

describe('a client whose request the server refuses as a protocol violation', () => {
  const Blob = unaryMethod('Robust.Blob', s.object({ data: s.bytes({ max: 1 << 20 }) }), s.object({ size: s.int() }));
  const Upload = streamMethod('Robust.Upload', s.object({ data: s.bytes({ max: 1 << 20 }) }), s.object({ size: s.int() }));

  async function startSmallServer(): Promise<void> {
    // Messages over 1 KiB are refused (InvalidArgument), and the server then ends that connection.
    server = new RpcServer({ identity: Identity.generate(), maxMessageBytes: 1024 });
    server.unary(Blob, ({ data }) => ({ size: data.length }));
    server.stream(Upload, async (stream) => {
      let size = 0;
      for await (const { data } of stream) size += data.length;
      await stream.send({ size });
    });
    address = (await server.listen(tcpTransport(), '127.0.0.1:0')).address;
  }

  it('does not pool the connection the server is ending: the next call, unary or stream, is served', async () => {
    await startSmallServer();
    const client = new RpcClient({ transport: tcpTransport(), address, maxIdleConnections: 1 });
    try {
      for (let round = 0; round < 3; round++) {
        expect(await client.call(Blob, { data: new Uint8Array(10) })).toEqual({ size: 10 });
        await expect(client.call(Blob, { data: new Uint8Array(5000) })).rejects.toMatchObject({ code: 'InvalidArgument' });
        // Issued at once: the refused call's connection must not be handed to it.
        expect(await client.call(Blob, { data: new Uint8Array(20) })).toEqual({ size: 20 });

        const stream = await client.stream(Upload);
        await stream.send({ data: new Uint8Array(5000) });
        await expect(stream.receive()).rejects.toMatchObject({ code: 'InvalidArgument' });
        expect(await client.call(Blob, { data: new Uint8Array(30) })).toEqual({ size: 30 });
      }
    } finally {
      await client.close();
    }
  });
});

describe("a handler's refusal", () => {
  const Check = unaryMethod('Robust.Check', s.object({ n: s.int() }), s.object({ n: s.int() }));
  const Count = streamMethod('Robust.Count', s.object({ n: s.int() }), s.object({ n: s.int() }));
  const Note = unaryMethod('Robust.Note', s.object({ text: s.string({ max: 10_000 }) }), s.object({ size: s.int() }));

  it('keeps its connection pooled, whatever the code (unary and stream), while a protocol violation still ends it', async () => {
    server = new RpcServer({ identity: Identity.generate(), maxMessageBytes: 1024 });
    server.unary(Check, ({ n }) => {
      if (n < 0) throw new InvalidArgumentError('n must not be negative');
      if (n === 0) throw new NotFoundError('nothing numbered 0');
      return { n };
    });
    server.unary(Note, ({ text }) => ({ size: text.length }));
    server.stream(Count, async (stream) => {
      const first = await stream.receive();
      if (first === undefined || first.n < 0) throw new InvalidArgumentError('n must not be negative');
      await stream.send(first);
    });
    address = (await server.listen(tcpTransport(), '127.0.0.1:0')).address;
    const base = tcpTransport();
    let dials = 0;
    const transport = { ...base, dial: (to: string, options?: Parameters<typeof base.dial>[1]) => (dials++, base.dial(to, options)) };
    const client = new RpcClient({ transport, address, maxIdleConnections: 1 });
    try {
      expect(await client.call(Check, { n: 1 })).toEqual({ n: 1 });
      await expect(client.call(Check, { n: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.call(Check, { n: 0 })).rejects.toBeInstanceOf(NotFoundError);
      // A request its schema refuses is a handler-level refusal too.
      await expect(client.call(Check, { n: 'x' } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      const stream = await client.stream(Count);
      await stream.send({ n: -1 });
      await expect(stream.receive()).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await client.call(Check, { n: 2 })).toEqual({ n: 2 });
      expect(dials).toBe(1);

      // An oversized message is a protocol violation: the server ends the connection, and says so.
      await expect(client.call(Note, { text: 'x'.repeat(2000) })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await client.call(Check, { n: 4 })).toEqual({ n: 4 });
      expect(dials).toBe(2);
    } finally {
      await client.close();
    }
  });
});

describe('the ERROR frame', () => {
  it('carries whether the sender ends the connection, and refuses any other fourth element', () => {
    const join = (parts: Uint8Array[]) => Buffer.concat(parts);
    const refusal = join(encodeEnvelope({ kind: Kind.ERROR, code: 'NotFound', message: 'no' }));
    const ending = join(encodeEnvelope({ kind: Kind.ERROR, code: 'InvalidArgument', message: 'bad frame', ending: true }));
    expect(decodeEnvelope(refusal, 1024)).toEqual({ kind: Kind.ERROR, code: 'NotFound', message: 'no', ending: false });
    expect(decodeEnvelope(ending, 1024)).toEqual({ kind: Kind.ERROR, code: 'InvalidArgument', message: 'bad frame', ending: true });
    expect(refusal.length).toBeLessThan(ending.length);
    for (const fourth of [false, 1, 'yes', null, new Uint8Array(1)]) {
      expect(() => decodeEnvelope(encode([Kind.ERROR, 'NotFound', 'no', fourth]), 1024)).toThrow(/ending/);
    }
    expect(() => decodeEnvelope(encode([Kind.ERROR, 'NotFound', 'no', true, true]), 1024)).toThrow(/3 or 4 elements/);
  });

  it('decodes any frame of any kind to an envelope or a DecodeError, never anything else (property)', () => {
    const kinds = fc.constantFrom(...Object.values(Kind), 0, 9, 255);
    const field = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 40 }));
    fc.assert(
      fc.property(kinds, fc.array(field, { maxLength: 5 }), (kind, rest) => {
        try {
          expect(decodeEnvelope(encode([kind, ...rest]), 1024).kind).toBe(kind);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
