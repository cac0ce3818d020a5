/**
 * @internal The incoming-frame-limit part of {@link transportSuite}: `limitIncomingFrames` is how
 * the RPC layer keeps a peer that has not proven its identity to small frames, so every transport
 * must honour it on both ends of a connection.
 */
import { describe, expect, it, vi } from 'vitest';
import { s } from '../codec/s.js';
import { Identity } from '../crypto/identity.js';
import { RpcClient } from '../rpc/client.js';
import { HANDSHAKE_FRAME_LIMIT } from '../rpc/handshake.js';
import { unaryMethod } from '../rpc/method.js';
import { RpcServer } from '../rpc/server.js';
import type { SuiteContext } from './transport-suite.js';

const Echo = unaryMethod('Suite.LimitsEcho', s.object({ text: s.string({ max: 100 }) }), s.object({ text: s.string() }));

const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(0x5a);

/** Resolves with the error `promise` rejected with; fails if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** The peer of a reset connection sees it broken: reset by the peer, or told the frame was too big. */
const BROKEN = ['UnavailableError', 'ResourceExhaustedError'];

export function transportLimitsSuite(context: SuiteContext): void {
  describe('incoming frame limits', () => {
    it('a lowered limit refuses a larger frame with ResourceExhaustedError and breaks the connection for the sender', async () => {
      const { accepted, dialed } = await context.open();
      const server = await accepted;
      server.limitIncomingFrames(1024);
      await dialed.send(bytes(1024));
      expect((await server.receive())?.length).toBe(1024);
      const refused = server.receive();
      await dialed.send(bytes(1025)).catch(() => undefined); // the sender may learn now or on its next receive
      expect((await rejection(refused)).name).toBe('ResourceExhaustedError');
      expect(BROKEN).toContain((await rejection(dialed.receive())).name);
    });

    it('the dialing side can be limited too', async () => {
      const { accepted, dialed } = await context.open();
      const server = await accepted;
      dialed.limitIncomingFrames(1024);
      await server.send(bytes(1024));
      expect((await dialed.receive())?.length).toBe(1024);
      const refused = dialed.receive();
      await server.send(bytes(100_000)).catch(() => undefined);
      expect((await rejection(refused)).name).toBe('ResourceExhaustedError');
    });

    it('undefined restores the transport\'s own limit', async () => {
      const { accepted, dialed } = await context.open({ maxFrameBytes: 64 * 1024 });
      const server = await accepted;
      server.limitIncomingFrames(1024);
      server.limitIncomingFrames(undefined);
      await dialed.send(bytes(64 * 1024));
      expect((await server.receive())?.length).toBe(64 * 1024);
    });

    it('an RPC server takes no frame over the handshake\'s 1 KiB from a peer that has not authenticated, and keeps serving', async () => {
      const t = await context.setupPair();
      const server = new RpcServer({ identity: Identity.generate() });
      server.unary(Echo, ({ text }) => ({ text }));
      const listener = await server.listen(t.listener, t.address);
      const client = new RpcClient({ transport: t.dialer, address: listener.address });
      try {
        const stranger = await t.dialer.dial(listener.address);
        await stranger.send(bytes(HANDSHAKE_FRAME_LIMIT + 1)).catch(() => undefined);
        expect(BROKEN).toContain((await rejection(stranger.receive())).name);
        await vi.waitFor(() => expect(server.unauthenticatedCount).toBe(0));
        expect(await client.call(Echo, { text: 'served' })).toEqual({ text: 'served' });
      } finally {
        await client.close();
        await server.close();
      }
    });
  });
}
