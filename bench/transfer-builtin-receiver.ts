/**
 * The destination's data path for the built-in plugin bench, in a process of its own as it is at
 * another provider: an RPC server with the built-in receiver. The parent's module reaches the
 * receiver's methods over the IPC channel; the bytes come over TCP. Forked by transfer-builtin.ts.
 */
import { join } from 'node:path';
import { Identity } from '../src/crypto/identity.js';
import { RpcServer } from '../src/rpc/server.js';
import { tcpTransport } from '../src/transport/tcp.js';
import { builtinReceiver } from '../src/transfer/builtin/receiver.js';

const [stateDir, destinationRoot] = process.argv.slice(2) as [string, string];
const identity = Identity.generate();
const server = new RpcServer({ identity });
const listener = await server.listen(tcpTransport(), '127.0.0.1:0');
const receiver = builtinReceiver({ stateDir, resolveDestination: (p) => join(destinationRoot, p), endpoint: { address: listener.address, nodeId: identity.id } }).serve(server);

type Request = { id: number; method: 'authorizeTransferKey' | 'prepare' | 'release' | 'close'; args: unknown[] };
process.on('message', (message: Request) => {
  const call = async (): Promise<unknown> => {
    if (message.method === 'close') {
      await server.close();
      return undefined;
    }
    return (receiver[message.method] as (...args: unknown[]) => Promise<unknown>).apply(receiver, message.args);
  };
  call().then(
    (result) => {
      process.send!({ id: message.id, result });
      if (message.method === 'close') process.disconnect();
    },
    (err: unknown) => process.send!({ id: message.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.send!({ id: 0, result: 'ready' });
