/**
 * Strangers cannot make a server hold gigabytes: a thousand raw connections that each announce an
 * 8 MiB frame before any handshake cost the server almost nothing, and an honest client is served
 * all the while. The server runs in a child process so that its memory is measured alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { s } from '../../src/codec/index.js';
import { RpcClient, tcpTransport, unaryMethod } from '../../src/transport/index.js';
import { frameHeader } from '../../src/transport/frame-parser.js';
import { parseHostPort } from '../../src/transport/tcp.js';
import type { FloodMemory } from './support/flood-server.js';

const FloodEcho = unaryMethod('Flood.Echo', s.object({ text: s.string({ max: 100 }) }), s.object({ text: s.string() }));
const harness = fileURLToPath(new URL('./support/flood-server.ts', import.meta.url));
const MiB = 1024 * 1024;
const CONNECTIONS = 1000;
/** What each stranger sends of its 8 MiB frame: enough that holding it would show (125 MiB in all). */
const SENT_PER_CONNECTION = 128 * 1024;
/** Strangers come from another loopback address than the honest client (127.0.0.1). */
const STRANGER_ADDRESS = '127.0.0.2';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function startServer(options: object): Promise<{ address: string; measure(action: 'start' | 'stop'): Promise<FloodMemory | undefined> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', harness, JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  const address = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { address: string }).address));
    child.once('exit', (code) => reject(new Error(`flood server exited with ${code}`)));
  });
  return {
    address,
    measure(action) {
      if (action === 'start') {
        child.send('start');
        return Promise.resolve(undefined);
      }
      const reply = new Promise<FloodMemory>((resolve, reject) => {
        child.once('message', (message) => resolve(message as FloodMemory));
        child.once('exit', (code) => reject(new Error(`flood server exited with ${code}`)));
      });
      if (child.connected) child.send('stop');
      return reply;
    },
  };
}

/** One stranger: connects, announces an 8 MiB frame, sends its start; resolves when the server closed the socket. */
function stranger(address: string): Promise<void> {
  const { host, port } = parseHostPort(address);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, localAddress: STRANGER_ADDRESS }, () => {
      socket.write(frameHeader(8 * MiB));
      socket.write(new Uint8Array(SENT_PER_CONNECTION).fill(0xab));
    });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.on('close', () => resolve());
  });
}

/** Runs `count` strangers at once: a server that held on to them would hold them all together. */
function flood(address: string, count: number): Promise<unknown> {
  return Promise.all(Array.from({ length: count }, () => stranger(address)));
}

describe('a server flooded by strangers before any handshake', () => {
  it.each([
    ['with the handshake frame limit alone (connection caps out of the way)', { maxConnections: 100_000, maxUnauthenticatedConnections: 100_000, maxUnauthenticatedPerAddress: 100_000 }],
    ['with the default caps on connections in the handshake', {}],
  ])(
    '1,000 connections each announcing an 8 MiB frame grow it by less than 64 MiB and an honest client is served meanwhile, %s',
    async (_, options) => {
      const server = await startServer(options);
      const client = new RpcClient({ transport: tcpTransport(), address: server.address });
      try {
        await client.call(FloodEcho, { text: 'warm up' });
        await server.measure('start');
        const flooding = flood(server.address, CONNECTIONS);
        expect(await client.call(FloodEcho, { text: 'served meanwhile' })).toEqual({ text: 'served meanwhile' });
        await flooding; // every stranger's socket was closed by the server
        const memory = (await server.measure('stop'))!;
        expect(memory.samples).toBeGreaterThan(0);
        const grewArrayBuffers = (memory.highest.arrayBuffers - memory.baseline.arrayBuffers) / MiB;
        const grewRss = (memory.highest.rss - memory.baseline.rss) / MiB;
        expect(grewArrayBuffers, `array buffers grew by ${grewArrayBuffers.toFixed(1)} MiB`).toBeLessThan(64);
        expect(grewRss, `rss grew by ${grewRss.toFixed(1)} MiB`).toBeLessThan(64);
        expect(await client.call(FloodEcho, { text: 'and after' })).toEqual({ text: 'and after' });
      } finally {
        await client.close();
      }
    },
    30_000,
  );
});
