/**
 * Calls queued behind RpcClient's dial limit: they take a connection another call frees before
 * any dial, honour their own cancellation and deadline while queued, and close() fails them
 * with UnavailableError. Memory transport with dials that can be made to hang.
 */
import { describe, expect, it, vi } from 'vitest';
import { s } from '../../src/codec/index.js';
import { abortReason } from '../../src/core/abort.js';
import { CanceledError, DeadlineExceededError, InvalidArgumentError, UnavailableError } from '../../src/core/errors.js';
import { memoryNetwork, RpcClient, unaryMethod } from '../../src/transport/index.js';
import { beforeEachDial, serveOnMemoryNetwork } from './support/memory-rpc.js';

const Echo = unaryMethod('Queue.Echo', s.object({ n: s.int() }), s.object({ n: s.int() }));
const Wait = unaryMethod('Queue.Wait', s.object({ n: s.int() }), s.object({ n: s.int() }));

const serve = serveOnMemoryNetwork();

/** A server (Echo, and Wait which answers once `release()` is called) and a client whose dials hang while `hang` is set. */
async function setUp(options: { maxConcurrentDials: number }) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let inWait = 0;
  const rpc = await serve((server) => {
    server.unary(Echo, (request) => request);
    server.unary(Wait, async (request) => {
      inWait++;
      await released;
      return request;
    });
  });
  let reopen: () => void = () => undefined;
  let gate: Promise<void> | undefined;
  const state = { dials: 0, get inWait() { return inWait; } };
  const transport = beforeEachDial(rpc.clientTransport, async (dialOptions) => {
    state.dials++;
    if (gate !== undefined) {
      const signal = dialOptions?.signal;
      await Promise.race([gate, new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(abortReason(signal)), { once: true }))]);
    }
  });
  return {
    client: rpc.client({ transport, ...options }),
    state,
    release,
    hang: () => (gate = new Promise((resolve) => (reopen = resolve))),
    unhang: () => {
      gate = undefined;
      reopen();
    },
  };
}

describe('calls queued behind the dial limit', () => {
  it('honour their signal and deadline while queued, dial nothing, and close() fails the rest with UnavailableError', async () => {
    const { client, state, hang } = await setUp({ maxConcurrentDials: 1 });
    hang();
    const first = client.call(Echo, { n: 1 }).catch((err: unknown) => err);
    await vi.waitFor(() => expect(state.dials).toBe(1));
    const controller = new AbortController();
    const canceled = client.call(Echo, { n: 2 }, { signal: controller.signal });
    const late = client.call(Echo, { n: 3 }, { timeoutMs: 20 });
    const queued = client.call(Echo, { n: 4 });
    controller.abort();
    await expect(canceled).rejects.toBeInstanceOf(CanceledError);
    await expect(late).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(state.dials).toBe(1);
    await client.close();
    await expect(queued).rejects.toBeInstanceOf(UnavailableError);
    expect(await first).toBeInstanceOf(UnavailableError);
    expect(state.dials).toBe(1);
  });

  it('queued calls take connections in arrival order, whether another call freed it or a dial made it', async () => {
    const { client, state, hang, unhang, release } = await setUp({ maxConcurrentDials: 1 });
    const holding = client.call(Wait, { n: 1 });
    await vi.waitFor(() => expect(state.inWait).toBe(1));
    hang();
    const older = client.call(Echo, { n: 2 }); // queues, and a dial starts for it (and hangs)
    await vi.waitFor(() => expect(state.dials).toBe(2));
    const newer = client.call(Echo, { n: 3 }); // queues; no second dial: the limit is 1
    release();
    expect(await holding).toEqual({ n: 1 });
    expect(await older).toEqual({ n: 2 }); // on the connection `holding` freed, while the dial still hangs
    unhang();
    expect(await newer).toEqual({ n: 3 }); // on the dialed one
    expect(state.dials).toBe(2);
  });

  it('a dial whose caller gave up serves the next queued call; a failed dial fails one queued call', async () => {
    const { client, state, hang, unhang } = await setUp({ maxConcurrentDials: 1 });
    hang();
    const controller = new AbortController();
    const first = client.call(Echo, { n: 1 }, { signal: controller.signal });
    await vi.waitFor(() => expect(state.dials).toBe(1));
    const second = client.call(Echo, { n: 2 });
    controller.abort();
    await expect(first).rejects.toBeInstanceOf(CanceledError);
    unhang();
    expect(await second).toEqual({ n: 2 });
    expect(state.dials).toBe(1);
  });

  it('refuses a limit that is not a positive integer', () => {
    const transport = memoryNetwork().transport({ host: 'x' });
    for (const maxConcurrentDials of [0, -1, 1.5, Number.NaN]) {
      expect(() => new RpcClient({ transport, address: 'y:1', maxConcurrentDials })).toThrow(InvalidArgumentError);
    }
  });
});
