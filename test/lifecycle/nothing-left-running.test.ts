/**
 * After close() nothing of ours keeps the process alive: no socket, server, timer or child
 * process — whatever the order of the closes, and while calls and dials are still under way.
 * Each case takes a baseline of the process's live resources before it starts anything and
 * expects exactly that baseline back right after its teardown (see test/support/resources.ts).
 * Everything here runs over real sockets, where a forgotten one really does hold the process.
 */
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { s } from '../../src/codec/index.js';
import { Identity } from '../../src/crypto/identity.js';
import { NodeDatabase } from '../../src/node/db/database.js';
import { StorageNode } from '../../src/node/storage-node.js';
import { MemoryPieceStore } from '../../src/piecestore/memory-store.js';
import { RpcClient } from '../../src/rpc/client.js';
import { RpcServer } from '../../src/rpc/server.js';
import { streamMethod, unaryMethod } from '../../src/rpc/method.js';
import { Satellite } from '../../src/satellite/satellite.js';
import { openSatelliteStore } from '../../src/satellite/store.js';
import { createTestNetwork, TEST_KDF, TEST_REDUNDANCY, TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { tcpTransport } from '../../src/transport/tcp.js';
import type { Connection, DialOptions, Transport } from '../../src/transport/types.js';
import { Uplink } from '../../src/uplink/uplink.js';
import { FakePlugin, FakeReceiver } from '../transfer/integration/fakes.js';
import { createTransferNetwork, waitFor } from '../transfer/rpc/network.js';
import { describeWith } from '../support/env.js';
import { postgresUnavailable, postgresUrl } from '../support/postgres.js';
import { expectNothingLeftSince, resourceBaseline } from '../support/resources.js';

const Echo = unaryMethod('Lifecycle.Echo', s.object({ n: s.int() }), s.object({ n: s.int() }));
/** Answers only when its call is aborted. */
const Hold = unaryMethod('Lifecycle.Hold', s.object({}), s.object({}));
/** Never answers, and ignores its abort signal too. */
const Stuck = unaryMethod('Lifecycle.Stuck', s.object({}), s.object({}));
const Stream = streamMethod('Lifecycle.Stream', s.object({}), s.object({}));

function bytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
}

/** A server with the test methods on TCP; `held` counts handlers waiting for their abort. */
async function echoServer(transport: Transport = tcpTransport()): Promise<{ server: RpcServer; address: string; identity: Identity; held: () => number }> {
  const identity = Identity.generate();
  const server = new RpcServer({ identity });
  let held = 0;
  server.unary(Echo, ({ n }) => ({ n }));
  server.unary(Hold, (_request, ctx) => {
    held++;
    return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
  });
  server.unary(Stuck, () => {
    held++;
    return new Promise(() => {});
  });
  server.stream(Stream, async (stream) => {
    held++;
    while ((await stream.receive()) !== undefined);
  });
  const listener = await server.listen(transport, '127.0.0.1:0');
  return { server, address: listener.address, identity, held: () => held };
}

describe('the TCP transport', () => {
  it('closes a connection reset while its clean close is under way: the server closing just as its peer disconnects', async () => {
    const baseline = resourceBaseline();
    const transport = tcpTransport();
    let onAccepted!: (c: Connection) => void;
    const accepted = new Promise<Connection>((resolve) => (onAccepted = resolve));
    const listener = await transport.listen('127.0.0.1:0', (c) => onAccepted(c));
    const dialed = await transport.dial(listener.address);
    const served = await accepted;
    await dialed.close();
    // The server reads the end of the stream (and its side answers the FIN), then goes away.
    expect(await served.receive()).toBeUndefined();
    void served.close();
    served.reset();
    await listener.close();
    await dialed.done;
    await expectNothingLeftSince(baseline);
  });

  it('closes a listener with connections in every state: idle, mid-frame, and ended by the peer', async () => {
    const baseline = resourceBaseline();
    const transport = tcpTransport();
    const accepted: Connection[] = [];
    const listener = await transport.listen('127.0.0.1:0', (c) => accepted.push(c));
    const idle = await transport.dial(listener.address);
    const sending = await transport.dial(listener.address);
    const ended = await transport.dial(listener.address);
    await waitFor(() => accepted.length === 3, () => 'three accepted connections');
    void sending.send(bytes(4 * 1024 * 1024)).catch(() => undefined);
    await ended.close();
    await listener.close();
    await Promise.all([idle, sending, ended].map((c) => c.done));
    await expectNothingLeftSince(baseline);
  });
});

describe('an RPC server and client', () => {
  for (const order of ['client first', 'server first'] as const) {
    it(`leave nothing after calls, closed ${order}`, async () => {
      const baseline = resourceBaseline();
      const { server, address, identity } = await echoServer();
      const client = new RpcClient({ transport: tcpTransport(), address, expectedPeer: identity.id, spareConnections: 2 });
      const replies = await Promise.all([1, 2, 3, 4].map((n) => client.call(Echo, { n }, { timeoutMs: 30_000 })));
      expect(replies.map((r) => r.n)).toEqual([1, 2, 3, 4]);
      if (order === 'client first') {
        await client.close();
        await server.close();
      } else {
        await server.close();
        await client.close();
      }
      await expectNothingLeftSince(baseline);
    });

    it(`leave nothing when closed ${order} while calls are in flight, with deadlines, streams and a handler that ignores its signal`, async () => {
      const baseline = resourceBaseline();
      const { server, address, identity, held } = await echoServer();
      const client = new RpcClient({ transport: tcpTransport(), address, expectedPeer: identity.id, spareConnections: 1 });
      const calls = [
        client.call(Hold, {}, { timeoutMs: 60_000 }),
        client.call(Stuck, {}, { timeoutMs: 60_000 }),
        client.call(Hold, {}),
        client.stream(Stream, { timeoutMs: 60_000 }).then(async (stream) => {
          await stream.send({});
          return stream.receive();
        }),
      ];
      const outcomes = Promise.allSettled(calls);
      await waitFor(() => held() === 4, () => 'four handlers running');
      if (order === 'client first') {
        await client.close();
        await server.close();
      } else {
        await server.close();
        await client.close();
      }
      for (const outcome of await outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { name: 'UnavailableError' } });
      await expectNothingLeftSince(baseline);
    });
  }

  it('a client closed with a stream open that nobody reads ends it, deadline timer and all', async () => {
    const baseline = resourceBaseline();
    const { server, address, identity, held } = await echoServer();
    const client = new RpcClient({ transport: tcpTransport(), address, expectedPeer: identity.id });
    const stream = await client.stream(Stream, { timeoutMs: 600_000 });
    await stream.send({});
    await waitFor(() => held() === 1, () => 'the stream handler to run');
    await client.close();
    await server.close();
    // Before anyone touches the stream again: its deadline timer is gone with the client.
    await expectNothingLeftSince(baseline);
    await expect(stream.receive()).rejects.toMatchObject({ name: 'UnavailableError' });
  });

  it('a client closed while its spare connections are still in the handshake ends them', async () => {
    const baseline = resourceBaseline();
    // The server serves the first connection and leaves the next ones hanging in the handshake.
    const inner = tcpTransport();
    const held: Connection[] = [];
    const server = new RpcServer({ identity: Identity.generate() });
    server.unary(Echo, ({ n }) => ({ n }));
    let first = true;
    const holding: Transport = {
      name: 'holding',
      dial: (address, options) => inner.dial(address, options),
      listen: (address, onConnection) =>
        inner.listen(address, (c) => {
          if (first) onConnection(c);
          else held.push(c);
          first = false;
        }),
    };
    const listener = await server.listen(holding, '127.0.0.1:0');
    const client = new RpcClient({ transport: tcpTransport(), address: listener.address, expectedPeer: server.identity.id, spareConnections: 3, handshakeTimeoutMs: 600_000 });
    expect(await client.call(Echo, { n: 7 })).toEqual({ n: 7 });
    await waitFor(() => held.length === 3, () => 'three spares dialed, their handshakes pending');
    await client.close();
    // The server side sees each spare end (it does not wait out a handshake timeout).
    await Promise.all(held.map((c) => c.done));
    await server.close();
    await expectNothingLeftSince(baseline);
  });

  it('waits for a dial that completes only after close(), and closes what it opened', async () => {
    const baseline = resourceBaseline();
    const { server, address, identity } = await echoServer();
    // A transport that ignores the abort and finishes its dial when the test says so.
    const inner = tcpTransport();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let dialing = 0;
    const late: Transport = {
      name: 'late',
      listen: (a, on) => inner.listen(a, on),
      async dial(a: string, _options?: DialOptions) {
        dialing++;
        await gate;
        return inner.dial(a);
      },
    };
    const client = new RpcClient({ transport: late, address, expectedPeer: identity.id });
    const connecting = client.connect().then(() => undefined, (err: unknown) => err);
    await waitFor(() => dialing === 1, () => 'the dial to start');
    let closed = false;
    const closing = client.close().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    release();
    await closing;
    expect(await connecting).toMatchObject({ name: 'UnavailableError' });
    await server.close();
    await expectNothingLeftSince(baseline);
  });

  it('ends a handshake in flight with a server that never answers', async () => {
    const baseline = resourceBaseline();
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      socket.on('error', () => undefined); // the client resets it
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const client = new RpcClient({ transport: tcpTransport(), address: `127.0.0.1:${port}` });
    const connecting = client.connect().then(() => undefined, (err: unknown) => err);
    await waitFor(() => sockets.length === 1, () => 'the connection to be accepted');
    await client.close();
    expect(await connecting).toMatchObject({ name: 'UnavailableError' });
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await expectNothingLeftSince(baseline);
  });
});

/** A satellite with five nodes and an uplink on TCP, memory stores; closes in the order asked. */
async function storageNetwork() {
  const store = await openSatelliteStore({ kind: 'memory' });
  const satellite = await Satellite.start({ transport: tcpTransport(), address: '127.0.0.1:0', store, config: { metainfo: { redundancy: TEST_REDUNDANCY } } });
  const nodes: Array<{ node: StorageNode; db: NodeDatabase }> = [];
  for (let i = 0; i < 5; i++) {
    const db = await NodeDatabase.open({ path: ':memory:' });
    const node = await StorageNode.start({
      transport: tcpTransport(),
      address: '127.0.0.1:0',
      satellites: [{ id: satellite.id, address: satellite.address }],
      storage: new MemoryPieceStore(),
      db,
      wallet: `0x${i.toString(16).padStart(40, '0')}`,
      capacity: 2 ** 40,
    });
    nodes.push({ node, db });
  }
  const { apiKey } = await satellite.createProject('lifecycle');
  const uplink = await Uplink.connect({ transport: tcpTransport(), satelliteAddress: satellite.address, satelliteId: satellite.id, apiKey, passphrase: 'lifecycle', kdf: TEST_KDF, segmentSize: TEST_SEGMENT_SIZE });
  await uplink.createBucket('things');
  return {
    satellite,
    uplink,
    closeSatellite: async () => {
      await satellite.close();
      await store.close();
    },
    closeNodes: () =>
      Promise.all(
        nodes.map(async ({ node, db }) => {
          await node.close();
          db.close();
        }),
      ),
  };
}

describe('a storage network on TCP (and WebSocket)', () => {
  for (const transport of ['tcp', 'websocket'] as const) {
    it(`leaves nothing after two uplinks uploaded and the test network closed (its own order: uplinks, nodes, satellite), over ${transport}`, async () => {
      const baseline = resourceBaseline();
      const network = await createTestNetwork({ transport, nodes: 5 });
      const uplinks = [await network.uplink(), await network.uplink()];
      await uplinks[0]!.createBucket('things');
      await Promise.all(uplinks.map((u, i) => u.upload('things', `object-${i}`, bytes(200_000 + i))));
      for (const u of uplinks) await u.close();
      await network.close();
      await expectNothingLeftSince(baseline);
    });
  }

  it('leaves nothing when the satellite closes first, then the nodes, then the uplink', async () => {
    const baseline = resourceBaseline();
    const network = await storageNetwork();
    await network.uplink.upload('things', 'o', bytes(150_000));
    await network.closeSatellite();
    await network.closeNodes();
    await network.uplink.close();
    await expectNothingLeftSince(baseline);
  });

  it('leaves nothing when everything closes at once', async () => {
    const baseline = resourceBaseline();
    const network = await storageNetwork();
    await network.uplink.upload('things', 'o', bytes(150_000));
    expect(await network.uplink.download('things', 'o')).toEqual(bytes(150_000));
    await Promise.all([network.uplink.close(), network.closeNodes(), network.closeSatellite()]);
    await expectNothingLeftSince(baseline);
  });

  it('leaves nothing when the uplink closes in the middle of an upload, and the rest at once after', async () => {
    const baseline = resourceBaseline();
    const network = await storageNetwork();
    let started!: () => void;
    const underWay = new Promise<void>((resolve) => (started = resolve));
    const upload = network.uplink.upload('things', 'big', bytes(2_000_000), { onProgress: ({ bytesDone }) => bytesDone > 0 && started() });
    const outcome = upload.then(
      () => 'finished',
      () => 'failed',
    );
    await underWay;
    await network.uplink.close();
    expect(await outcome).toBe('failed');
    await Promise.all([network.closeNodes(), network.closeSatellite()]);
    await expectNothingLeftSince(baseline);
  });
});

/** The test network on stores with files and connections of their own, closed its own way. */
async function uploadAndClose(storage: 'sqlite' | 'postgres'): Promise<void> {
  const baseline = resourceBaseline();
  const network = await createTestNetwork({ transport: 'tcp', storage, nodes: 5, ...(postgresUrl === undefined ? {} : { connectionString: postgresUrl }) });
  const uplinks = [await network.uplink(), await network.uplink()];
  await uplinks[0]!.createBucket('things');
  await Promise.all(uplinks.map((u, i) => u.upload('things', `object-${i}`, bytes(200_000 + i))));
  await network.close(); // the uplinks too
  await expectNothingLeftSince(baseline);
}

describe('a storage network on SQLite and files', () => {
  it('leaves nothing after uploads and network.close()', () => uploadAndClose('sqlite'));
});

describeWith('PostgreSQL', postgresUnavailable, 'a storage network on PostgreSQL', () => {
  it('leaves nothing after uploads and network.close(): no pool connection either', () => uploadAndClose('postgres'));
});

describe('a transfer network on TCP', () => {
  it('leaves nothing once the core, both integration modules and a client close, with the core sweeping and a task in flight', async () => {
    const baseline = resourceBaseline();
    const tcp = tcpTransport();
    const plugin = new FakePlugin();
    const receiver = new FakeReceiver();
    const network = await createTransferNetwork({ transportFor: () => tcp, listenAddress: () => '127.0.0.1:0', plugin, receiver, pollIntervalMs: 20 });
    network.core.start();
    const alice = network.client('alice');
    const [done] = await alice.transfer(['/1001/project'], '/2002/inbox');
    if (!done?.ok) throw new Error(`refused: ${JSON.stringify(done)}`);
    await alice.exchangeKeys(done.taskId);
    await waitFor(() => plugin.calls.includes(`start ${done.taskId}`), () => 'the first transfer to start');
    plugin.report(done.taskId, { state: 'SUCCESS', progress: 100 });
    await waitFor(async () => (await alice.getTask(done.taskId)).state === 'SUCCESS', () => 'SUCCESS at the core');
    // A second one is still running when everything closes.
    const [running] = await alice.transfer(['/1001/second'], '/2002/inbox');
    if (!running?.ok) throw new Error(`refused: ${JSON.stringify(running)}`);
    await alice.exchangeKeys(running.taskId);
    await waitFor(() => plugin.calls.includes(`start ${running.taskId}`), () => 'the second transfer to start');
    await network.core.stop();
    await network.close();
    expect(network.errors).toEqual([]);
    await expectNothingLeftSince(baseline);
  });
});
