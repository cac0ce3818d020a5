import { describe, expect, it, vi } from 'vitest';
import { s } from '../../src/codec/index.js';
import { streamMethod, unaryMethod, type RpcClient, type Transport } from '../../src/transport/index.js';
import { beforeEachDial, serveOnMemoryNetwork } from './support/memory-rpc.js';

const Echo = unaryMethod('Spares.Echo', s.object({ n: s.int() }), s.object({ n: s.int() }));
const Hold = streamMethod('Spares.Hold', s.object({}), s.object({}));

/** A transport whose dials can be made to hang, counting them. */
function gatedTransport(inner: Transport) {
  let open = true;
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const counts = { dials: 0 };
  const transport = beforeEachDial(inner, async (options) => {
    counts.dials++;
    if (!open) {
      const signal = options?.signal;
      await Promise.race([
        gate,
        new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true })),
      ]);
    }
  });
  return {
    transport,
    counts,
    close() {
      open = false;
      gate = new Promise((resolve) => (release = resolve));
    },
    reopen() {
      open = true;
      release();
    },
  };
}

const serve = serveOnMemoryNetwork();
let client: RpcClient;

/** A server that echoes and holds streams open, and a client to it over gated dials. */
async function serveAndConnect(spareConnections: number): Promise<ReturnType<typeof gatedTransport>> {
  const rpc = await serve((server) => {
    server.unary(Echo, async ({ n }) => ({ n }));
    server.stream(Hold, async (stream) => {
      await stream.receive();
    });
  });
  const gated = gatedTransport(rpc.clientTransport);
  client = rpc.client({ transport: gated.transport, spareConnections });
  return gated;
}

describe('spare connections', () => {
  it('a call made while another runs uses the spare, even when no new connection can be dialed', async () => {
    const gated = await serveAndConnect(1);

    await client.connect(); // one connection, and a spare dialed behind it
    expect(gated.counts.dials).toBe(2);
    await vi.waitFor(() => expect(client.idleConnections).toBe(2), { timeout: 5_000 }); // the spare's handshake is done
    gated.close(); // from now on a dial hangs

    const held = await client.stream(Hold); // takes one connection
    expect(await client.call(Echo, { n: 7 }, { timeoutMs: 2_000 })).toEqual({ n: 7 }); // the other
    gated.reopen();
    await held.closeSend();
    expect(await held.receive()).toBeUndefined();
  });

  it('without spares the same call waits for a dial', async () => {
    const gated = await serveAndConnect(0);

    await client.connect(); // a spare would have been dialed by now: connect() returns after asking for it
    expect(gated.counts.dials).toBe(1);
    expect(client.idleConnections).toBe(1);
    gated.close();
    const held = await client.stream(Hold);
    await expect(client.call(Echo, { n: 7 }, { timeoutMs: 200 })).rejects.toMatchObject({ name: 'DeadlineExceededError' });
    gated.reopen();
    await held.closeSend();
    expect(await held.receive()).toBeUndefined();
  });
});
