/**
 * Under TLS a frame with a large part is written uncorked, each buffer on its own: Node joins a
 * corked batch into one freshly copied buffer before it encrypts it, which copied every 1 MiB
 * chunk a second time. Small frames are still corked together.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tcpTransport, type Connection, type Listener } from '../../src/transport/index.js';

function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-tls-writes-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=handoff-test', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let listener: Listener | undefined;
let dialed: Connection | undefined;
afterEach(async () => {
  dialed?.reset();
  await dialed?.done;
  await listener?.close();
  listener = dialed = undefined;
});

describe('tls connection writes', () => {
  it('a frame with a large part goes out uncorked, its buffers one by one; small frames in one turn are still batched', async () => {
    const transport = tcpTransport({ tls: selfSigned() });
    const received: Uint8Array[] = [];
    listener = await transport.listen('127.0.0.1:0', (connection) => {
      void (async () => {
        for (let frame = await connection.receive(); frame !== undefined; frame = await connection.receive()) received.push(frame);
      })().catch(() => undefined);
    });
    dialed = await transport.dial(listener.address);
    const c = dialed;
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
