/**
 * The client's limit on dials (and handshakes) in flight: a cold burst of callers queues for a
 * dial slot or a freed connection instead of opening one connection per caller at once, so a
 * server's cap on handshakes per address (32 by default) never refuses it. The TCP server runs
 * in a process of its own (support/burst-server.ts), as a remote server would.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcClient, tcpTransport } from '../../src/transport/index.js';
import { Echo, Hold, type BurstStats } from './support/burst-server.js';

const harness = fileURLToPath(new URL('./support/burst-server.ts', import.meta.url));

const children: ChildProcess[] = [];
let client: RpcClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function startServer(): Promise<{ address: string; stats(): Promise<BurstStats>; release(): void }> {
  const child = fork(harness, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  const address = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { address: string }).address));
    child.once('exit', (code) => reject(new Error(`burst server exited with ${code}`)));
  });
  return {
    address,
    stats: () =>
      new Promise<BurstStats>((resolve) => {
        child.once('message', (message) => resolve(message as BurstStats));
        child.send('stats');
      }),
    release: () => child.send('release'),
  };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('RpcClient dial limit (TCP, server in another process)', () => {
  it('a cold burst of 200 calls from one client all succeed; the server never sees more than 8 handshakes at once', async () => {
    const server = await startServer();
    client = new RpcClient({ transport: tcpTransport(), address: server.address });
    const replies = await Promise.all(range(200).map((n) => client!.call(Echo, { n })));
    expect(replies.map((r) => r.n)).toEqual(range(200));
    const stats = await server.stats();
    expect(stats.refused).toBe(0);
    expect(stats.peakHandshakes).toBeLessThanOrEqual(8);
  }, 60_000);

  it('200 calls that must all run at once get 200 connections, dialed at most 8 at a time', async () => {
    const server = await startServer();
    client = new RpcClient({ transport: tcpTransport(), address: server.address });
    // Each call settles to its number or its error's name: a refused one must not go unhandled.
    const calls = range(200).map((n) => client!.call(Hold, { n }).then((r) => r.n, (err: Error) => err.name));
    await vi.waitFor(async () => expect((await server.stats()).holding).toBe(200), { timeout: 50_000, interval: 50 });
    server.release();
    expect(await Promise.all(calls)).toEqual(range(200));
    const stats = await server.stats();
    expect(stats).toMatchObject({ refused: 0, connections: 200 });
    expect(stats.peakHandshakes).toBeLessThanOrEqual(8);
  }, 60_000);
});
