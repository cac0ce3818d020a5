/**
 * An RPC server and its clients on a memory network, for tests that meet the client's pool and
 * the server's handlers without sockets. Each test gets a network of its own, and what it opened
 * is closed after it, clients before the server.
 */
import { afterEach } from 'vitest';
import { Identity } from '../../../src/crypto/index.js';
import { memoryNetwork, RpcClient, RpcServer, type DialOptions, type RpcClientOptions, type Transport } from '../../../src/transport/index.js';

/** A server listening at `server:1`, and the means to reach it. */
export interface MemoryRpc {
  readonly server: RpcServer;
  readonly address: string;
  /** The network's transport for clients (host `client`), for a test to wrap or use as is. */
  readonly clientTransport: Transport;
  /** A client of the server (by default over {@link clientTransport}), closed after the test. */
  client(options?: Partial<RpcClientOptions>): RpcClient;
}

/**
 * Call at a test file's top level: registers the teardown and returns `serve`, which starts a
 * server on a new memory network with the handlers `register` adds.
 *
 * @example
 * ```ts
 * const serve = serveOnMemoryNetwork();
 * it('echoes', async () => {
 *   const rpc = await serve((server) => server.unary(Echo, (request) => request));
 *   expect(await rpc.client().call(Echo, { n: 1 })).toEqual({ n: 1 });
 * });
 * ```
 */
export function serveOnMemoryNetwork(): (register: (server: RpcServer) => void) => Promise<MemoryRpc> {
  let clients: RpcClient[] = [];
  let server: RpcServer | undefined;
  afterEach(async () => {
    for (const client of clients) await client.close();
    await server?.close();
    clients = [];
    server = undefined;
  });
  return async (register) => {
    const net = memoryNetwork();
    const started = new RpcServer({ identity: Identity.generate() });
    server = started;
    register(started);
    const listener = await started.listen(net.transport({ host: 'server' }), 'server:1');
    const clientTransport = net.transport({ host: 'client' });
    return {
      server: started,
      address: listener.address,
      clientTransport,
      client(options = {}) {
        const client = new RpcClient({ transport: clientTransport, address: listener.address, ...options });
        clients.push(client);
        return client;
      },
    };
  };
}

/**
 * `inner`, with `beforeDial` run before each dial; a promise it returns holds the dial back
 * (and its rejection fails the dial).
 */
export function beforeEachDial(inner: Transport, beforeDial: (options?: DialOptions) => void | Promise<void>): Transport {
  return {
    name: inner.name,
    listen: (address, onConnection) => inner.listen(address, onConnection),
    dial(address, options) {
      const held = beforeDial(options);
      return held === undefined ? inner.dial(address, options) : held.then(() => inner.dial(address, options));
    },
  };
}
