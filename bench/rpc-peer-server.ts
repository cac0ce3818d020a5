/**
 * The server process of the RPC-against-gRPC bench: a handoff RpcServer and a @grpc/grpc-js
 * server, each over plain TCP and over TLS, serving the same two methods (echo a message; count
 * a client stream's bytes), and a bare echo socket over each (the one-caller round trip's ceiling:
 * whatever arrives is written back at once, no framing). Ports go to the parent over IPC; `{ cpu: true }` asks for this
 * process's CPU time so far; `{ close: true }` stops everything and exits.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { s } from '../src/codec/index.js';
import { Identity } from '../src/crypto/index.js';
import { RpcServer, streamMethod, tcpTransport, unaryMethod } from '../src/transport/index.js';

/** The methods both sides serve, as handoff method descriptors. */
export const Echo = unaryMethod('Bench.Echo', s.object({ data: s.bytes({ max: 1024 }) }), s.object({ data: s.bytes({ max: 1024 }) }));
export const Push = streamMethod('Bench.Push', s.object({ data: s.bytes({ max: 2 * 1024 * 1024 }) }), s.object({ received: s.int() }));
/** The server streams `total` bytes in 1 MiB messages (a download). */
export const Pull = streamMethod('Bench.Pull', s.object({ total: s.int() }), s.object({ data: s.bytes({ max: 2 * 1024 * 1024 }) }));
const CHUNK = 1024 * 1024;

const raw = (b: Buffer): Buffer => b;
/** The same methods for grpc-js: raw Buffers in and out, no protobuf. */
export const grpcService: grpc.ServiceDefinition = {
  Echo: { path: '/bench.Bench/Echo', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
  Push: { path: '/bench.Bench/Push', requestStream: true, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
  Pull: { path: '/bench.Bench/Pull', requestStream: false, responseStream: true, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
};

async function main(): Promise<void> {
  const [cert, key] = [process.env.HANDOFF_BENCH_CERT!, process.env.HANDOFF_BENCH_KEY!];
  const servers: RpcServer[] = [];
  const ports: Record<string, string> = {};
  for (const mode of ['tcp', 'tls'] as const) {
    // Default limits: a burst of 64 callers dials at most 8 connections at a time (RpcClient's
    // maxConcurrentDials), under the server's 32 handshakes per address.
    const server = new RpcServer({ identity: Identity.generate() });
    server.unary(Echo, (request) => request);
    server.stream(Push, async (stream) => {
      let received = 0;
      for await (const { data } of stream) received += data.length;
      await stream.send({ received });
    });
    const chunk = new Uint8Array(CHUNK).fill(5);
    server.stream(Pull, async (stream) => {
      const request = await stream.receive();
      for (let sent = 0; sent < (request?.total ?? 0); sent += CHUNK) await stream.send({ data: chunk });
    });
    const listener = await server.listen(tcpTransport(mode === 'tls' ? { tls: { cert, key } } : {}), '127.0.0.1:0');
    servers.push(server);
    ports[`handoff-${mode}`] = listener.address;
  }
  const grpcServers: grpc.Server[] = [];
  for (const mode of ['tcp', 'tls'] as const) {
    const server = new grpc.Server();
    server.addService(grpcService, {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, call.request),
      Push: (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        let received = 0;
        call.on('data', (chunk: Buffer) => (received += chunk.length));
        call.on('end', () => callback(null, Buffer.from(String(received))));
      },
      Pull: async (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        const total = Number(call.request.toString());
        const chunk = Buffer.alloc(CHUNK, 5);
        for (let sent = 0; sent < total; sent += CHUNK) {
          if (!call.write(chunk)) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      },
    });
    const credentials = mode === 'tls' ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(cert), private_key: Buffer.from(key) }]) : grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
    grpcServers.push(server);
    ports[`grpc-${mode}`] = `127.0.0.1:${port}`;
  }
  const echoes: net.Server[] = [];
  for (const mode of ['tcp', 'tls'] as const) {
    const onSocket = (socket: net.Socket): void => {
      socket.setNoDelay(true);
      socket.on('data', (data: Buffer) => socket.write(data));
      socket.on('error', () => socket.destroy());
    };
    const server = mode === 'tls' ? tls.createServer({ cert, key }, onSocket) : net.createServer(onSocket);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    echoes.push(server);
    ports[`raw-${mode}`] = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }
  process.on('message', (m: { cpu?: boolean; close?: boolean }) => {
    if (m.cpu) {
      const usage = process.cpuUsage();
      process.send!({ cpuSeconds: (usage.user + usage.system) / 1e6 });
    }
    if (m.close) {
      for (const echo of echoes) echo.close();
      void Promise.all([...servers.map((server) => server.close()), ...grpcServers.map((server) => new Promise<void>((resolve) => server.tryShutdown(() => resolve())))]).then(() => process.exit(0));
    }
  });
  process.send!({ ports });
}

// The bench imports this module for the method descriptors; only the forked child serves.
if (process.send !== undefined && process.env.HANDOFF_BENCH_CERT !== undefined) void main();
