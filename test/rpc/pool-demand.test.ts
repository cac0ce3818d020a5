import { describe, expect, it, vi } from 'vitest';
import { s } from '../../src/codec/index.js';
import { ManualClock } from '../../src/core/index.js';
import { unaryMethod } from '../../src/transport/index.js';
import { beforeEachDial, serveOnMemoryNetwork } from './support/memory-rpc.js';

const Wait = unaryMethod('Pool.Wait', s.object({ n: s.int() }), s.object({ n: s.int() }));

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const serve = serveOnMemoryNetwork();

/** A server whose calls wait until released, and a client over a transport that counts dials. */
async function setUp(clock: ManualClock) {
  let gate = deferred();
  let waiting = 0;
  const rpc = await serve((server) =>
    server.unary(Wait, async ({ n }) => {
      waiting++;
      await gate.promise;
      waiting--;
      return { n };
    }),
  );
  const counts = { dials: 0 };
  const transport = beforeEachDial(rpc.clientTransport, () => {
    counts.dials++;
  });
  const client = rpc.client({ transport, clock, idleTimeoutMs: 60_000 });
  /** `callers` calls at once, all in the handler together before any returns. */
  const burst = async (callers: number): Promise<void> => {
    const calls = Array.from({ length: callers }, (_, n) => client.call(Wait, { n }));
    await vi.waitFor(() => expect(waiting).toBe(callers), { timeout: 5_000 });
    gate.resolve();
    expect((await Promise.all(calls)).map((r) => r.n)).toEqual(Array.from({ length: callers }, (_, n) => n));
    gate = deferred();
  };
  return { client, counts, burst };
}

/** A server whose calls answer at once. */
const serveEcho = () => serve((server) => server.unary(Wait, async ({ n }) => ({ n })));

describe('the client pool follows the demand', () => {
  it('a burst of callers (fewer than the server allows per host) keeps its connections, so the next burst dials none', async () => {
    const clock = new ManualClock(1_000_000);
    const { client, counts, burst } = await setUp(clock);
    await burst(24);
    expect(counts.dials).toBe(24);
    expect(client.idleConnections).toBe(24);
    clock.advance(30_000); // within the idle timeout
    await burst(24);
    expect(counts.dials).toBe(24);
    expect(client.idleConnections).toBe(24);
  });

  it('connections idle for the timeout close, and the demand of an old burst is forgotten', async () => {
    const clock = new ManualClock(1_000_000);
    const { client, counts, burst } = await setUp(clock);
    await burst(16);
    clock.advance(59_000);
    await burst(2); // reuses the two newest; the other 14 stay idle, closer to their timeout
    expect(client.idleConnections).toBe(16);
    clock.advance(2_000); // 61 s since 14 of them were last used
    expect(client.idleConnections).toBe(2);
    clock.advance(60_001);
    expect(client.idleConnections).toBe(0);
    // A new burst dials again and keeps what it used; the old peak of 16 no longer counts.
    await burst(6);
    expect(counts.dials).toBe(16 + 6);
    expect(client.idleConnections).toBe(6);
    clock.advance(60_001);
    await burst(1);
    expect(client.idleConnections).toBe(1);
  });

  it('callers waiting for dials count as demand, so dials that complete after their burst ended keep their connections', async () => {
    const rpc = await serveEcho();
    const gates: (() => void)[] = [];
    let dials = 0;
    const transport = beforeEachDial(rpc.clientTransport, () => {
      dials++;
      return new Promise<void>((resolve) => gates.push(resolve));
    });
    const c = rpc.client({ transport, clock: new ManualClock(1_000_000) });
    const calls = Array.from({ length: 6 }, (_, n) => c.call(Wait, { n }));
    await vi.waitFor(() => expect(gates.length).toBe(6)); // a dial for each queued call
    gates[0]!();
    // The first connection serves all six calls, one after another, while the other dials hang.
    expect((await Promise.all(calls)).map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(c.idleConnections).toBe(1);
    for (const open of gates.slice(1)) open();
    // Six were wanted at once: the late connections are kept, not closed.
    await vi.waitFor(() => expect(c.idleConnections).toBe(6));
    await Promise.all(Array.from({ length: 6 }, (_, n) => c.call(Wait, { n })));
    expect(dials).toBe(6);
  });

  it('maxIdleConnections 0 still keeps nothing, whatever the demand', async () => {
    const rpc = await serveEcho();
    const c = rpc.client({ maxIdleConnections: 0, clock: new ManualClock(0) });
    await Promise.all(Array.from({ length: 5 }, (_, n) => c.call(Wait, { n })));
    expect(c.idleConnections).toBe(0);
  });
});
