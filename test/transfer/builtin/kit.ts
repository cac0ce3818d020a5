/**
 * The built-in plugin as the shared plugin stories see it: "b" serves the push stream on its own
 * RPC server over TCP; "a" reaches it through a loopback TCP relay that a story can cut, which is
 * what a dropped connection looks like from both ends.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Identity } from '../../../src/crypto/identity.js';
import { RpcServer } from '../../../src/rpc/server.js';
import { tcpTransport } from '../../../src/transport/tcp.js';
import { builtinPlugin } from '../../../src/transfer/builtin/plugin.js';
import { builtinReceiver } from '../../../src/transfer/builtin/receiver.js';
import { partialName } from '../../../src/transfer/builtin/paths.js';
import type { PluginKit, PluginSides } from '../integration/world.js';

/** A TCP relay to `target` whose open connections can be cut at once. */
export interface Relay {
  readonly address: string;
  /** Destroys every relayed connection (new ones still go through). */
  cut(): void;
  /** Bytes relayed towards the target so far. */
  readonly bytesToTarget: number;
  close(): Promise<void>;
}

export async function startRelay(target: string): Promise<Relay> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  let bytesToTarget = 0;
  const server: Server = createServer((inbound) => {
    const outbound = connect(port, host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    inbound.on('data', (chunk: Buffer) => void (bytesToTarget += chunk.length));
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: relayPort } = server.address() as { port: number };
  const cut = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    address: `127.0.0.1:${relayPort}`,
    cut,
    get bytesToTarget() {
      return bytesToTarget;
    },
    close: () => {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface BuiltinSides extends PluginSides {
  readonly relay: Relay;
  readonly server: RpcServer;
}

export function builtinKit(): PluginKit & { readonly opened: BuiltinSides[] } {
  const opened: BuiltinSides[] = [];
  return {
    name: 'builtin',
    opened,
    async open(dir, destinationRoot) {
      const tcp = tcpTransport();
      const identity = Identity.generate();
      const server = new RpcServer({ identity });
      const listener = await server.listen(tcp, '127.0.0.1:0');
      const relay = await startRelay(listener.address);
      const receiver = builtinReceiver({
        stateDir: join(dir, 'b-builtin'),
        resolveDestination: (p) => join(destinationRoot, p),
        endpoint: { address: relay.address, nodeId: identity.id },
      }).serve(server);
      const sides: BuiltinSides = {
        relay,
        server,
        plugin: (keyDir, options) => builtinPlugin({ stateDir: join(keyDir, 'state'), transport: tcp, ...options }),
        receiver,
        isKeyAuthorized: (taskId) => receiver.isAuthorized(taskId),
        async close() {
          await relay.close();
          await server.close();
        },
      };
      opened.push(sides);
      return sides;
    },
    isPartial: (path) => /(^|\/)\.handoff-\d+-[0-9a-f]+\.part$/.test(path),
    partialPath: (copy, name, taskId) => join(copy, partialName(taskId, name)),
    async interrupt() {
      for (const sides of opened) sides.relay.cut();
    },
  };
}
