/**
 * What a handler's context tells it: the caller's authenticated id, the method, the deadline
 * the client set, the remote address, and a signal that fires once the call is over.
 */
import { describe, expect, it } from 'vitest';
import { s } from '../../src/codec/index.js';
import { CanceledError } from '../../src/core/errors.js';
import { Identity } from '../../src/crypto/index.js';
import { unaryMethod, type CallContext } from '../../src/transport/index.js';
import { serveOnMemoryNetwork } from './support/memory-rpc.js';

const Echo = unaryMethod('Context.Echo', s.object({ n: s.int() }), s.object({ n: s.int() }));

const serve = serveOnMemoryNetwork();

describe("a unary handler's call context", () => {
  it('names the peer, the method, the deadline and the address, and its signal fires when the call is over', async () => {
    const seen: Array<{ context: CallContext; signal: AbortSignal; abortedDuringCall: boolean }> = [];
    const rpc = await serve((server) =>
      server.unary(Echo, (request, context) => {
        const { signal } = context;
        seen.push({ context, signal, abortedDuringCall: signal.aborted });
        return request;
      }),
    );
    const identity = Identity.generate();
    const client = rpc.client({ identity });
    const before = Date.now();
    await client.call(Echo, { n: 1 }, { timeoutMs: 60_000 });
    await client.call(Echo, { n: 2 });

    expect(seen).toHaveLength(2);
    const [first, second] = seen as [(typeof seen)[0], (typeof seen)[0]];
    for (const { context } of seen) {
      expect(context.peer.toString()).toBe(identity.id.toString());
      expect(context.method).toBe('Context.Echo');
      expect(context.remoteAddress).toMatch(/^client/);
    }
    expect(first.context.deadline).toBeGreaterThanOrEqual(before + 60_000);
    expect(first.context.deadline).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(second.context.deadline).toBeUndefined();
    // Each call has its own signal, live while the handler ran and fired once the call was over.
    expect(first.abortedDuringCall).toBe(false);
    expect(first.signal).not.toBe(second.signal);
    expect(first.signal.aborted).toBe(true);
    expect(first.signal.reason).toBeInstanceOf(CanceledError);
    expect(first.context.signal).toBe(first.signal);
  });
});
