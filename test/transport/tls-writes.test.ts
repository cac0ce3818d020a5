/**
 * Under TLS a frame with a large part is written uncorked, each buffer on its own: Node joins a
 * corked batch into one freshly copied buffer before it encrypts it, which copied every 1 MiB
 * chunk a second time. Small frames are still corked together.
 */
import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { tlsConnectionPerTest } from './support/tls.js';

const dialTls = tlsConnectionPerTest();

describe('tls connection writes', () => {
  it('a frame with a large part goes out uncorked, its buffers one by one; small frames in one turn are still batched', async () => {
    const received: Uint8Array[] = [];
    const c = await dialTls((connection) => {
      void (async () => {
        for (let frame = await connection.receive(); frame !== undefined; frame = await connection.receive()) received.push(frame);
      })().catch(() => undefined);
    });
    const proto = net.Socket.prototype as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const writev = vi.spyOn(proto, '_writev');
    const write = vi.spyOn(proto, '_write');
    const big = new Uint8Array(256 * 1024).fill(5);
    try {
      await c.send([new Uint8Array([1, 2, 3]), big]);
      await vi.waitFor(() => expect(received).toHaveLength(1));
      expect(writev).not.toHaveBeenCalled();
      expect(write.mock.calls.map((call) => (call[0] as Uint8Array).length)).toEqual([4 + 3, big.length]);
      write.mockClear();
      await c.send([new Uint8Array([7])]);
      await c.send([new Uint8Array([8, 8])]);
      await vi.waitFor(() => expect(received).toHaveLength(3));
      expect(write).not.toHaveBeenCalled();
      expect(writev).toHaveBeenCalledTimes(1);
    } finally {
      writev.mockRestore();
      write.mockRestore();
    }
    expect(received[0]!.length).toBe(3 + big.length);
    expect([...received[0]!.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(received[0]!.subarray(3).every((b) => b === 5)).toBe(true);
    expect([...received[1]!]).toEqual([7]);
    expect([...received[2]!]).toEqual([8, 8]);
  });
});
