/**
 * An accepted TLS connection reads into the transport's own buffers, as a dialed one does:
 * no read goes through the socket's stream ('data' events, a fresh buffer per read), and bytes
 * Node read before the switch (a peer's first frames, right behind its handshake) come first.
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { frameHeader } from '../../src/transport/frame-parser.js';
import type { Connection } from '../../src/transport/index.js';
import { ReadInput } from '../../src/transport/read-input.js';
import { readTlsInto } from '../../src/transport/tls-input.js';
import { tlsConnectionPerTest } from './support/tls.js';

function framed(bodies: readonly Uint8Array[]): Buffer {
  return Buffer.concat(bodies.flatMap((body) => [frameHeader(body.length), body]));
}

const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

const dialTls = tlsConnectionPerTest();
// Registered after the connection's teardown, so it runs before it (after-hooks run in reverse).
afterEach(() => {
  vi.restoreAllMocks();
});

describe('an accepted tls connection', () => {
  it('reads frames of every size into its own buffers, never through the socket stream', async () => {
    const pushes: number[] = [];
    const push = Readable.prototype.push;
    vi.spyOn(Readable.prototype, 'push').mockImplementation(function (this: Readable, chunk: unknown, encoding?: BufferEncoding) {
      if (this instanceof tls.TLSSocket && chunk !== null) pushes.push((chunk as Uint8Array).length);
      return push.call(this, chunk, encoding);
    });
    const sizes = [1, 100, 20_000, 70_000, 300_000, 3];
    let accepted!: (connection: Connection) => void;
    const served = new Promise<Connection>((resolve) => (accepted = resolve));
    const dialed = await dialTls((connection) => accepted(connection));
    for (const [i, size] of sizes.entries()) await dialed.send(pattern(size, i));
    const server = await served;
    for (const [i, size] of sizes.entries()) {
      const frame = await server.receive();
      expect(Buffer.from(frame!).equals(Buffer.from(pattern(size, i)))).toBe(true);
    }
    // And back: the dialed side reads through onread as before.
    await server.send(pattern(50_000, 9));
    expect(Buffer.from((await dialed.receive())!).equals(Buffer.from(pattern(50_000, 9)))).toBe(true);
    expect(pushes).toEqual([]);
  });

  it('takes the bytes Node read before the switch first, then reads into the buffers it offers', () => {
    // A socket as the TLS one is once its handshake is done: reading, its first bytes already in its stream.
    const socket = new net.Socket();
    const useUserBuffer = vi.fn();
    const inner = socket as unknown as { _handle: object | null };
    inner._handle = { reading: true, useUserBuffer };
    const bodies = [pattern(5, 1), pattern(70_000, 2), pattern(10, 3)];
    const stream = framed(bodies);
    const early = 5 + 4 + 70_000 + 4 + 3; // two whole frames, then the third's header and 3 of its 10 bytes
    socket.push(stream.subarray(0, early));
    const input = new ReadInput(1 << 20);
    try {
      expect(readTlsInto(socket as unknown as tls.TLSSocket, input)).toBe(true);
      const frames: Uint8Array[] = [];
      input.attach((result) => {
        if (result instanceof Error) throw result;
        frames.push(...result);
      });
      expect(frames.map((f) => f.length)).toEqual([5, 70_000]);
      expect(socket.readableLength).toBe(0);
      // Node reads the next bytes into the buffer the input offers now.
      expect(useUserBuffer).toHaveBeenCalledTimes(1);
      const target = useUserBuffer.mock.calls[0]![0] as Uint8Array;
      target.set(stream.subarray(early));
      input.onread.callback(stream.length - early);
      expect(frames).toHaveLength(3);
      frames.forEach((frame, i) => expect(Buffer.from(frame).equals(Buffer.from(bodies[i]!))).toBe(true));
    } finally {
      inner._handle = null;
      socket.destroy();
    }
  });
});
