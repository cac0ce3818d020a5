/**
 * A WebSocket whose close never finishes. A browser that asked to close waits for the peer's
 * half of the closing handshake (Chromium up to a minute) and offers no way to tear the socket
 * down; `close(4000)` on a socket already closing does nothing. Before `closeTimeoutMs`, a
 * connection's `close()` and `done` — and so `RpcClient.close()`, which the console's key
 * exchange awaits before it shows anything — waited for that close event without bound.
 */
import { WebSocket as NodeWebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { s } from '../../src/codec/index.js';
import { Identity } from '../../src/crypto/identity.js';
import { RpcClient } from '../../src/rpc/client.js';
import { unaryMethod } from '../../src/rpc/method.js';
import { RpcServer } from '../../src/rpc/server.js';
import { tcpTransport } from '../../src/transport/tcp.js';
import { webSocketTransport } from '../../src/transport/websocket.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;

/**
 * The standard WebSocket API over nothing: it opens, takes every frame, and once asked to close
 * stays CLOSING for good, as a browser does while the peer never answers its close frame.
 */
class NeverClosingSocket {
  static made: NeverClosingSocket[] = [];
  binaryType = 'blob';
  readyState = CONNECTING;
  bufferedAmount = 0;
  onopen: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  readonly closeCalls: number[] = [];

  constructor(readonly url: string) {
    NeverClosingSocket.made.push(this);
    queueMicrotask(() => {
      this.readyState = OPEN;
      this.onopen?.({});
    });
  }

  send(): void {}

  close(code = 1000): void {
    this.closeCalls.push(code);
    if (this.readyState === OPEN) this.readyState = CLOSING;
  }
}

/**
 * A real `ws` socket seen through a browser's API (no terminate, no pause, no send callback),
 * whose close frames are never sent: the server serves calls, but a close this side starts is
 * never finished. The sockets are kept so the test can end them.
 */
const underlying: NodeWebSocket[] = [];
class UnansweredCloseSocket {
  constructor(url: string) {
    const socket = new NodeWebSocket(url, { perMessageDeflate: false });
    underlying.push(socket);
    let closing = false;
    return new Proxy(socket, {
      get(target, property) {
        if (property === 'pause' || property === 'resume' || property === 'terminate' || property === '_receiver') return undefined;
        if (property === 'send') return (data: Uint8Array) => target.send(data);
        if (property === 'readyState') return closing && target.readyState === OPEN ? CLOSING : target.readyState;
        if (property === 'close') return () => void (closing = true);
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set: (target, property, value) => Reflect.set(target, property, value, target),
    });
  }
}

afterEach(() => {
  NeverClosingSocket.made = [];
  for (const socket of underlying.splice(0)) socket.terminate();
});

describe('a WebSocket connection whose socket never reports its close', () => {
  const transport = webSocketTransport({ webSocketClass: NeverClosingSocket, closeTimeoutMs: 20 });

  it('close() turns into a reset and resolves; done reports that the close did not finish', { timeout: 10_000 }, async () => {
    const connection = await transport.dial('127.0.0.1:1');
    await connection.close();
    const reason = await connection.done;
    expect(reason).toMatchObject({ name: 'UnavailableError' });
    expect(connection.closed).toBe(true);
    // Asked to close cleanly, then told to reset: the socket was never left hanging unasked.
    expect(NeverClosingSocket.made[0]!.closeCalls).toEqual([1000, 4000]);
    await expect(connection.receive()).rejects.toMatchObject({ name: 'UnavailableError' });
  });

  it('a reset resolves done although the socket is still closing', { timeout: 10_000 }, async () => {
    const connection = await transport.dial('127.0.0.1:1');
    void connection.close();
    connection.reset();
    expect(await connection.done).toMatchObject({ name: 'UnavailableError' });
  });

  it('a late close event after the socket was let go of changes nothing', { timeout: 10_000 }, async () => {
    const connection = await transport.dial('127.0.0.1:1');
    connection.reset();
    const reason = await connection.done;
    const socket = NeverClosingSocket.made[0]!;
    expect(socket.onclose).toBeNull();
    expect(socket.onmessage).toBeNull();
    expect(await connection.done).toBe(reason);
  });
});

describe('an RPC client over a browser socket whose close is never answered', () => {
  const Echo = unaryMethod('CloseTimeout.Echo', s.object({ text: s.string() }), s.object({ text: s.string() }));

  it('close() returns after its call instead of waiting for the close event forever', { timeout: 10_000 }, async () => {
    const server = new RpcServer({ identity: Identity.generate() });
    server.unary(Echo, (request) => ({ text: request.text }));
    const listener = await server.listen(tcpTransport({ acceptWebSocket: true }), '127.0.0.1:0');
    try {
      const client = new RpcClient({
        transport: webSocketTransport({ webSocketClass: UnansweredCloseSocket, closeTimeoutMs: 50 }),
        address: listener.address,
        expectedPeer: server.identity.id,
      });
      expect(await client.call(Echo, { text: 'key' }, { timeoutMs: 5_000 })).toEqual({ text: 'key' });
      await client.close();
      expect(underlying).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
