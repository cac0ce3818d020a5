import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameParser } from '../../src/transport/frame-parser.js';
import { tcpTransport, type Connection } from '../../src/transport/index.js';

let server: net.Server | undefined;
let connection: Connection | undefined;
afterEach(async () => {
  connection?.reset();
  await connection?.done;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  connection = server = undefined;
});

/** A raw listener that records each chunk a read returned, and the frames in them. */
async function rawListener(): Promise<{ address: string; chunks: number[]; frames: Uint8Array[] }> {
  const chunks: number[] = [];
  const frames: Uint8Array[] = [];
  const parser = new FrameParser(1 << 20);
  server = net.createServer((socket) => {
    socket.on('data', (chunk) => {
      chunks.push(chunk.length);
      frames.push(...parser.push(new Uint8Array(chunk)));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server!.address() as net.AddressInfo).port}`, chunks, frames };
}

describe('tcp connection writes', () => {
  it('frames sent in one turn (a last message and its end) leave in one write', async () => {
    const raw = await rawListener();
    connection = await tcpTransport().dial(raw.address);
    const c = connection;
    // What reaches the kernel: each _write/_writev call of a socket is one write syscall.
    const proto = net.Socket.prototype as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const writev = vi.spyOn(proto, '_writev');
    const write = vi.spyOn(proto, '_write');
    try {
      // As a stream handler's last send and the END after it: awaited one after the other, no I/O between.
      await c.send([new Uint8Array(100).fill(1)]);
      await c.send([new Uint8Array(3).fill(2)]);
      await vi.waitFor(() => expect(raw.frames).toHaveLength(2));
      expect(writev.mock.calls.length + write.mock.calls.length).toBe(1);
      expect(writev.mock.calls[0]![0]).toHaveLength(2); // each small frame's header and body joined in one buffer
    } finally {
      writev.mockRestore();
      write.mockRestore();
    }
    expect([...raw.frames[0]!]).toEqual(new Array(100).fill(1));
    expect([...raw.frames[1]!]).toEqual([2, 2, 2]);
  });

  it('a small frame is one buffer; a large part goes out as it is, its header joined with the small parts before it', async () => {
    const raw = await rawListener();
    connection = await tcpTransport().dial(raw.address);
    const c = connection;
    const proto = net.Socket.prototype as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const writev = vi.spyOn(proto, '_writev');
    const write = vi.spyOn(proto, '_write');
    const big = new Uint8Array(64 * 1024).fill(4);
    try {
      await c.send([new Uint8Array([9, 9])]);
      await vi.waitFor(() => expect(raw.frames).toHaveLength(1));
      expect(write.mock.calls).toHaveLength(1);
      expect(writev.mock.calls).toHaveLength(0);
      await c.send([new Uint8Array([1]), new Uint8Array([2, 2]), big, new Uint8Array([3])]);
      await vi.waitFor(() => expect(raw.frames).toHaveLength(2));
      expect(writev.mock.calls).toHaveLength(1);
      // Node passes the buffers themselves when all are buffers, else { chunk } entries.
      const buffers = (writev.mock.calls[0]![0] as Array<Uint8Array | { chunk: Uint8Array }>).map((b) => ('chunk' in b ? b.chunk : b).length);
      expect(buffers).toEqual([4 + 3, big.length, 1]);
    } finally {
      writev.mockRestore();
      write.mockRestore();
    }
    expect([...raw.frames[0]!]).toEqual([9, 9]);
    expect(raw.frames[1]!.length).toBe(3 + big.length + 1);
    expect([...raw.frames[1]!.subarray(0, 3)]).toEqual([1, 2, 2]);
    expect(raw.frames[1]!.subarray(3, 3 + big.length).every((b) => b === 4)).toBe(true);
    expect(raw.frames[1]![3 + big.length]).toBe(3);
  });

  it('a reset right after a send still delivers that frame first', async () => {
    const raw = await rawListener();
    connection = await tcpTransport().dial(raw.address);
    await connection.send([new Uint8Array([7, 7])]);
    connection.reset();
    await vi.waitFor(() => expect(raw.frames).toHaveLength(1));
    expect([...raw.frames[0]!]).toEqual([7, 7]);
  });
});
