/**
 * Child process for the dial-limit test: an RPC server over TCP in a process of its own, so a
 * client's burst of dials meets it the way a remote server would (in one process the event loop
 * takes turns and handshakes never pile up). Usage: `node --import tsx burst-server.ts`.
 * Sends `{ address }` over IPC once listening. Methods: `Dials.Echo`, and `Dials.Hold`, which
 * answers only after the parent sends `'release'`. On `'stats'` it replies with the most
 * handshakes it had in progress at once, its handshakes refused, and its open connections.
 */
import { s } from '../../../src/codec/index.js';
import { Identity } from '../../../src/crypto/index.js';
import { RpcServer, tcpTransport, unaryMethod, type Transport } from '../../../src/transport/index.js';

export const Echo = unaryMethod('Dials.Echo', s.object({ n: s.int() }), s.object({ n: s.int() }));
export const Hold = unaryMethod('Dials.Hold', s.object({ n: s.int() }), s.object({ n: s.int() }));

export interface BurstStats {
  /** Most connections in the handshake at once, counted as each new one arrived. */
  peakHandshakes: number;
  /** Connections refused for the per-address handshake cap. */
  refused: number;
  connections: number;
  /** Calls of Dials.Hold waiting for 'release'. */
  holding: number;
}

if (process.send === undefined) throw new Error('run with an IPC channel');
const send = process.send.bind(process);

const stats: BurstStats = { peakHandshakes: 0, refused: 0, connections: 0, holding: 0 };
const server = new RpcServer({ identity: Identity.generate() });
let release!: () => void;
const released = new Promise<void>((resolve) => (release = resolve));
server.unary(Echo, (request) => request);
server.unary(Hold, async (request) => {
  stats.holding++;
  await released;
  return request;
});
const tcp = tcpTransport();
const watching: Transport = {
  name: tcp.name,
  dial: (address, options) => tcp.dial(address, options),
  listen: (address, onConnection) =>
    tcp.listen(address, (connection) => {
      const before = server.unauthenticatedCount;
      onConnection(connection);
      const after = server.unauthenticatedCount;
      // Every accepted connection enters the handshake count at once; a refused one never does.
      if (after === before) stats.refused++;
      stats.peakHandshakes = Math.max(stats.peakHandshakes, after);
    }),
};
const listener = await server.listen(watching, '127.0.0.1:0');

process.on('message', (message) => {
  if (message === 'release') release();
  if (message === 'stats') send({ ...stats, connections: server.connectionCount });
});
send({ address: listener.address });
