/**
 * The transport contract as a test suite. Every shipped transport runs it, and so should yours:
 *
 * ```ts
 * import { transportSuite } from 'handoff/testing';
 * transportSuite('my transport', {
 *   async setup(limits) {
 *     const t = myTransport(limits);
 *     return { listener: t, dialer: t, address: '127.0.0.1:0', unreachableAddress: '127.0.0.1:1' };
 *   },
 * });
 * ```
 *
 * It checks framing, ordering, close and reset, dial failures, backpressure, frame limits (also
 * lowered per connection, as for a peer that has not authenticated) and many connections, then
 * runs the RPC layer over the transport: handshake, unary calls, streams,
 * typed errors, pinning and cancellation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes } from '../core/bytes.js';
import type { Connection, FrameLimits, Listener, Transport } from '../transport/types.js';
import { transportLimitsSuite } from './transport-limits-suite.js';
import { transportRpcSuite } from './transport-rpc-suite.js';

/** A transport to test: a listening and a dialing side, and addresses to use. */
export interface TransportUnderTest {
  /** Transport used to listen. */
  listener: Transport;
  /** Transport used to dial (may be the same object). */
  dialer: Transport;
  /** Where to listen, e.g. `127.0.0.1:0`. */
  address: string;
  /** An address where nothing listens. */
  unreachableAddress: string;
  /** Extra cleanup after each test. */
  teardown?(): Promise<void>;
}

/** How {@link transportSuite} gets the transport under test. */
export interface TransportSuiteOptions {
  /** Builds a fresh transport pair honouring `limits` (frame limit, receive high-water mark). */
  setup(limits: FrameLimits): Promise<TransportUnderTest>;
  /**
   * The most bytes a sender may get ahead of a receiver that reads nothing, beyond the
   * receiver's high-water mark (socket buffers and the like). Default 16 MiB.
   */
  maxInFlightSlack?: number;
}

/** @internal Helpers the suite shares with its RPC half. */
export interface SuiteContext {
  open(limits?: FrameLimits): Promise<{ t: TransportUnderTest; listener: Listener; accepted: Promise<Connection>; dialed: Connection }>;
  setupPair(limits?: FrameLimits): Promise<TransportUnderTest>;
}

const bytes = (n: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
};

/** Byte equality without a megabyte-long diff when it fails. */
function expectSameBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual!.length).toBe(expected.length);
  expect(equalBytes(actual!, expected), 'frame bytes differ').toBe(true);
}

/** Declares the transport compliance suite (vitest tests): framing, limits, backpressure, close and reset, and the whole RPC stack over the transport under test. */
export function transportSuite(name: string, options: TransportSuiteOptions): void {
  describe(`transport compliance: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    });

    const context: SuiteContext = {
      async setupPair(limits = {}) {
        const t = await options.setup(limits);
        if (t.teardown) cleanups.push(t.teardown);
        return t;
      },
      async open(limits = {}) {
        const t = await context.setupPair(limits);
        let onAccept!: (c: Connection) => void;
        const accepted = new Promise<Connection>((resolve) => (onAccept = resolve));
        const listener = await t.listener.listen(t.address, (c) => {
          cleanups.push(async () => c.reset());
          onAccept(c);
        });
        cleanups.push(() => listener.close());
        const dialed = await t.dialer.dial(listener.address);
        cleanups.push(async () => dialed.reset());
        return { t, listener, accepted, dialed };
      },
    };

    it('carries frames of every size both ways, byte-identical', async () => {
      const { accepted, dialed } = await context.open();
      const server = await accepted;
      for (const size of [0, 1, 255, 65_536, 1_048_576 + 7]) {
        const frame = bytes(size, size);
        await dialed.send(frame);
        expectSameBytes(await server.receive(), frame);
        await server.send(frame);
        expectSameBytes(await dialed.receive(), frame);
      }
    });

    it('keeps the order of many frames', async () => {
      const { accepted, dialed } = await context.open();
      const server = await accepted;
      const count = 2000;
      const sending = (async () => {
        for (let i = 0; i < count; i++) await dialed.send(new Uint8Array([i & 0xff, i >> 8, 7]));
      })();
      for (let i = 0; i < count; i++) {
        const frame = await server.receive();
        expect(frame && frame[0]! + (frame[1]! << 8)).toBe(i);
      }
      await sending;
    });

    it('close: the peer reads what was sent, then the end of the stream', async () => {
      const { accepted, dialed } = await context.open();
      const server = await accepted;
      await dialed.send(bytes(10));
      await dialed.send(bytes(20));
      await dialed.close();
      expect((await server.receive())?.length).toBe(10);
      expect((await server.receive())?.length).toBe(20);
      expect(await server.receive()).toBeUndefined();
      expect(await server.receive()).toBeUndefined();
      await expect(dialed.send(bytes(1))).rejects.toMatchObject({ name: 'UnavailableError' });
    });

    it('reset: the peer sees a typed error, not a clean end', async () => {
      const { accepted, dialed } = await context.open();
      const server = await accepted;
      const pending = server.receive();
      dialed.reset();
      await expect(pending).rejects.toMatchObject({ name: 'UnavailableError' });
      expect(server.closed).toBe(true);
      expect(await server.done).toBeInstanceOf(Error);
    });

    it('dialing an address where nothing listens fails with UnavailableError', async () => {
      const t = await context.setupPair();
      await expect(t.dialer.dial(t.unreachableAddress)).rejects.toMatchObject({ name: 'UnavailableError' });
    });

    it('dialing with an aborted signal fails with CanceledError and leaves nothing open', async () => {
      const t = await context.setupPair();
      const accepted: Connection[] = [];
      let onProbe!: (c: Connection) => void;
      const probed = new Promise<Connection>((resolve) => (onProbe = resolve));
      const listener = await t.listener.listen(t.address, (c) => {
        accepted.push(c);
        cleanups.push(async () => c.reset());
        void c.receive().then((frame) => frame && onProbe(c), () => undefined);
      });
      cleanups.push(() => listener.close());
      await expect(t.dialer.dial(listener.address, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'CanceledError' });
      // A dial after it gets through; whatever the aborted dial opened on the way has ended by then or ends by itself.
      const probe = await t.dialer.dial(listener.address);
      cleanups.push(async () => probe.reset());
      await probe.send(bytes(1));
      const served = await probed;
      await Promise.all(accepted.filter((c) => c !== served).map((c) => c.done));
      expect(served.closed).toBe(false);
    });

    it('a closed listener accepts no new connections and resets the ones it accepted', async () => {
      const { listener, accepted, dialed, t } = await context.open();
      await accepted;
      await listener.close();
      await expect(dialed.receive()).rejects.toMatchObject({ name: 'UnavailableError' });
      await expect(t.dialer.dial(listener.address)).rejects.toMatchObject({ name: 'UnavailableError' });
    });

    it('refuses frames over the limit on both sides with ResourceExhaustedError', async () => {
      const { accepted, dialed } = await context.open({ maxFrameBytes: 1024 });
      const server = await accepted;
      for (const [from, to] of [[dialed, server], [server, dialed]] as const) {
        await expect(from.send(bytes(1025))).rejects.toMatchObject({ name: 'ResourceExhaustedError' });
        // The refusal costs nothing: a frame at the limit still goes through.
        await from.send(bytes(1024));
        expect((await to.receive())?.length).toBe(1024);
      }
    });

    it('backpressure: a sender cannot run ahead of a receiver that does not read', async () => {
      const highWater = 1024 * 1024;
      const { accepted, dialed } = await context.open({ receiveHighWater: highWater });
      const server = await accepted;
      const frame = bytes(256 * 1024);
      const total = 256; // 64 MiB offered
      let sent = 0;
      const sending = (async () => {
        for (let i = 0; i < total; i++) {
          await dialed.send(frame);
          sent++;
        }
      })();
      // Give the sender every chance to run ahead, then check how far it got.
      for (let i = 0; i < 50 && sent < total; i++) await new Promise((r) => setTimeout(r, 10));
      const inFlight = sent * frame.length;
      expect(inFlight).toBeLessThanOrEqual(highWater + (options.maxInFlightSlack ?? 16 * 1024 * 1024));
      expect(sent).toBeLessThan(total);
      let received = 0;
      while (received < total) {
        const got = await server.receive();
        expect(got?.length).toBe(frame.length);
        received++;
      }
      await sending;
      expect(sent).toBe(total);
    });

    it('serves many connections at once', async () => {
      const t = await context.setupPair();
      const listener = await t.listener.listen(t.address, (c) => {
        cleanups.push(async () => c.reset());
        void (async () => {
          for (let f = await c.receive(); f !== undefined; f = await c.receive()) await c.send(f);
          await c.close();
        })().catch(() => undefined);
      });
      cleanups.push(() => listener.close());
      const replies = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const c = await t.dialer.dial(listener.address);
          cleanups.push(async () => c.reset());
          await c.send(new Uint8Array([i]));
          const reply = await c.receive();
          await c.close();
          return reply?.[0];
        }),
      );
      expect(replies).toEqual(Array.from({ length: 40 }, (_, i) => i));
    });

    transportLimitsSuite(context);
    transportRpcSuite(context);
  });
}
