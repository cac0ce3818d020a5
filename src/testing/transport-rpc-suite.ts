/** @internal The RPC half of {@link transportSuite}: the whole call stack over the transport under test. */
import { describe, expect, it } from 'vitest';
import { s } from '../codec/s.js';
import { sleep } from '../core/abort.js';
import { FailedPreconditionError } from '../core/errors.js';
import { Identity } from '../crypto/identity.js';
import { RpcClient } from '../rpc/client.js';
import { streamMethod, unaryMethod } from '../rpc/method.js';
import { RpcServer } from '../rpc/server.js';
import type { SuiteContext } from './transport-suite.js';

const Echo = unaryMethod('Suite.Echo', s.object({ text: s.string({ max: 1000 }) }), s.object({ text: s.string(), peer: s.string() }));
const Fail = unaryMethod('Suite.Fail', s.object({}), s.object({}));
const Sleep = unaryMethod('Suite.Sleep', s.object({ ms: s.int({ min: 0 }) }), s.object({ aborted: s.bool() }));
const Sum = streamMethod('Suite.Sum', s.object({ n: s.int() }), s.object({ total: s.int() }));

export function transportRpcSuite(context: SuiteContext): void {
  describe('rpc over this transport', () => {
    async function start() {
      const t = await context.setupPair();
      const serverIdentity = Identity.generate();
      const aborted: string[] = [];
      // Events of the Sleep handler, so a test waits for them rather than for a guessed time:
      // a slow transport takes as long as it takes.
      let entered!: () => void;
      let ended!: (aborted: boolean) => void;
      const sleeping = {
        entered: new Promise<void>((resolve) => (entered = resolve)),
        /** Settles when the handler returns: with true when its signal stopped the sleep. */
        ended: new Promise<boolean>((resolve) => (ended = resolve)),
      };
      const server = new RpcServer({ identity: serverIdentity });
      server.unary(Echo, ({ text }, ctx) => ({ text, peer: ctx.peer.toString() }));
      server.unary(Fail, () => {
        throw new FailedPreconditionError('object was changed during move');
      });
      server.unary(Sleep, async ({ ms }, ctx) => {
        entered();
        const stopped = await sleep(ms, ctx.signal).then(() => false, () => true);
        if (stopped) aborted.push(ctx.method);
        ended(stopped);
        return { aborted: ctx.signal.aborted };
      });
      server.stream(Sum, async (stream) => {
        let total = 0;
        for await (const { n } of stream) {
          total += n;
          await stream.send({ total });
        }
      });
      const listener = await server.listen(t.listener, t.address);
      const clientIdentity = Identity.generate();
      const client = new RpcClient({ transport: t.dialer, address: listener.address, identity: clientIdentity, expectedPeer: serverIdentity.id });
      const stop = async () => {
        await client.close();
        await server.close();
      };
      return { t, server, client, listener, serverIdentity, clientIdentity, aborted, sleeping, stop };
    }

    it('authenticates both sides: the handler sees the caller\'s node id', async () => {
      const { client, clientIdentity, serverIdentity, stop } = await start();
      try {
        const reply = await client.call(Echo, { text: 'hello' });
        expect(reply).toEqual({ text: 'hello', peer: clientIdentity.id.toString() });
        expect(client.peer?.equals(serverIdentity.id)).toBe(true);
      } finally {
        await stop();
      }
    });

    it('reuses connections across calls and runs concurrent calls in parallel', async () => {
      const { client, server, stop } = await start();
      try {
        for (let i = 0; i < 20; i++) await client.call(Echo, { text: `n${i}` });
        expect(server.connectionCount).toBe(1);
        const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => client.call(Echo, { text: `p${i}` })));
        expect(replies.map((r) => r.text)).toEqual(Array.from({ length: 8 }, (_, i) => `p${i}`));
      } finally {
        await stop();
      }
    });

    it('brings a server error back as the same typed error', async () => {
      const { client, stop } = await start();
      try {
        await expect(client.call(Fail, {})).rejects.toMatchObject({ name: 'FailedPreconditionError', message: 'object was changed during move' });
        // The connection survives an error reply.
        expect((await client.call(Echo, { text: 'after' })).text).toBe('after');
      } finally {
        await stop();
      }
    });

    it('streams both ways', async () => {
      const { client, stop } = await start();
      try {
        const stream = await client.stream(Sum);
        const totals: number[] = [];
        for (let n = 1; n <= 5; n++) {
          await stream.send({ n });
          totals.push((await stream.receive())!.total);
        }
        await stream.closeSend();
        expect(await stream.receive()).toBeUndefined();
        expect(totals).toEqual([1, 3, 6, 10, 15]);
      } finally {
        await stop();
      }
    });

    it('a deadline reaches the handler and comes back as DeadlineExceededError', async () => {
      const { client, aborted, sleeping, stop } = await start();
      try {
        // Dial and handshake first: a call's deadline covers them, and on a busy machine they can
        // outlast 50 ms, so the call would expire before the handler it is meant to reach.
        await client.connect();
        await expect(client.call(Sleep, { ms: 5_000 }, { timeoutMs: 50 })).rejects.toMatchObject({ name: 'DeadlineExceededError' });
        expect(await sleeping.ended).toBe(true);
        expect(aborted).toEqual(['Suite.Sleep']);
      } finally {
        await stop();
      }
    });

    it('cancellation reaches the handler', async () => {
      const { client, aborted, sleeping, stop } = await start();
      try {
        const controller = new AbortController();
        const pending = client.call(Sleep, { ms: 5_000 }, { signal: controller.signal });
        await sleeping.entered;
        controller.abort();
        await expect(pending).rejects.toMatchObject({ name: 'CanceledError' });
        expect(await sleeping.ended).toBe(true);
        expect(aborted).toEqual(['Suite.Sleep']);
      } finally {
        await stop();
      }
    });

    it('a dialer pinned to another node id refuses the server', async () => {
      const { t, listener, stop } = await start();
      try {
        const pinned = new RpcClient({ transport: t.dialer, address: listener.address, expectedPeer: Identity.generate().id });
        await expect(pinned.call(Echo, { text: 'x' })).rejects.toMatchObject({ name: 'UnauthenticatedError' });
        await pinned.close();
      } finally {
        await stop();
      }
    });

    it('an unknown method is NotFound and an invalid request is InvalidArgument, checked before the handler', async () => {
      const { client, stop } = await start();
      try {
        const Missing = unaryMethod('Suite.Missing', s.object({}), s.object({}));
        await expect(client.call(Missing, {})).rejects.toMatchObject({ name: 'NotFoundError' });
        const Loose = unaryMethod('Suite.Echo', s.object({ text: s.int() }), s.object({}));
        await expect(client.call(Loose, { text: 5 })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
        expect((await client.call(Echo, { text: 'still fine' })).text).toBe('still fine');
      } finally {
        await stop();
      }
    });
  });
}
