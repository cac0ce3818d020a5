/**
 * handoff RPC against @grpc/grpc-js, client and server in two processes (the server in
 * bench/rpc-peer-server.ts), over plain TCP and over TLS with a self-signed certificate made
 * here: sequential unary calls, 64 callers at once, and a client stream of 1 MiB messages.
 * grpc-js uses raw-Buffer serializers (no protobuf), so both sides move the same bytes; each
 * figure has the CPU seconds of both processes beside it.
 *
 * Alone: `npx tsx bench/rpc-grpc.ts` prints the rows as JSON; `RPC_GRPC_ONLY=tls:callers` (a
 * comma-separated list of `mode:kind`, `mode` or `kind`; modes tcp, tls; kinds unary, callers,
 * stream, pull) runs only those rows.
 */
import { fork, execFileSync } from 'node:child_process';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { RpcClient, tcpTransport } from '../src/transport/index.js';
import { fmt, opsPerSecond, type BenchRow } from './lib.js';
import { Echo, Pull, Push, grpcService } from './rpc-peer-server.js';

const STREAM_TOTAL = 128 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const CALLERS = 64;

/** A subject to measure: one unary call, and one whole stream of STREAM_TOTAL bytes. */
interface Side {
  call(): Promise<void>;
  stream(): Promise<void>;
  /** A download: the server streams STREAM_TOTAL bytes. */
  pull(): Promise<void>;
  close(): Promise<void>;
}

function handoffSide(address: string, tls: boolean): Side {
  const client = new RpcClient({ transport: tcpTransport(tls ? { tls: {} } : {}), address });
  const data = new Uint8Array(16).fill(1);
  const chunk = new Uint8Array(CHUNK).fill(9);
  return {
    async call() {
      await client.call(Echo, { data });
    },
    async stream() {
      const stream = await client.stream(Push);
      for (let sent = 0; sent < STREAM_TOTAL; sent += CHUNK) await stream.send({ data: chunk });
      await stream.closeSend();
      const reply = await stream.receive();
      if (reply?.received !== STREAM_TOTAL) throw new Error(`handoff stream delivered ${reply?.received} bytes`);
      await stream.receive();
    },
    async pull() {
      const stream = await client.stream(Pull);
      await stream.send({ total: STREAM_TOTAL });
      await stream.closeSend();
      let received = 0;
      for (let m = await stream.receive(); m !== undefined; m = await stream.receive()) received += m.data.length;
      if (received !== STREAM_TOTAL) throw new Error(`handoff pull delivered ${received} bytes`);
    },
    close: () => client.close(),
  };
}

function grpcSide(address: string, cert: string | undefined): Side {
  const credentials = cert === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(Buffer.from(cert));
  const client = new grpc.Client(address, credentials, cert === undefined ? {} : { 'grpc.ssl_target_name_override': 'localhost' });
  const echo = grpcService.Echo!;
  const push = grpcService.Push!;
  const data = Buffer.alloc(16, 1);
  const chunk = Buffer.alloc(CHUNK, 9);
  return {
    call: () =>
      new Promise<void>((resolve, reject) => {
        client.makeUnaryRequest(echo.path, echo.requestSerialize, echo.responseDeserialize, data, (err) => (err ? reject(err) : resolve()));
      }),
    async stream() {
      let done!: Promise<Buffer>;
      const call = await new Promise<grpc.ClientWritableStream<Buffer>>((resolve) => {
        done = new Promise<Buffer>((ok, fail) => {
          resolve(client.makeClientStreamRequest(push.path, push.requestSerialize, push.responseDeserialize, (err: grpc.ServiceError | null, reply?: Buffer) => (err ? fail(err) : ok(reply!))));
        });
      });
      for (let sent = 0; sent < STREAM_TOTAL; sent += CHUNK) {
        if (!call.write(chunk)) await new Promise((r) => call.once('drain', r));
      }
      call.end();
      const reply = await done;
      if (Number(reply.toString()) !== STREAM_TOTAL) throw new Error(`grpc stream delivered ${reply.toString()} bytes`);
    },
    async pull() {
      const pull = grpcService.Pull!;
      const call = client.makeServerStreamRequest(pull.path, pull.requestSerialize, pull.responseDeserialize, Buffer.from(String(STREAM_TOTAL)));
      let received = 0;
      call.on('data', (chunk: Buffer) => (received += chunk.length));
      await new Promise<void>((resolve, reject) => {
        call.on('end', resolve);
        call.on('error', reject);
      });
      if (received !== STREAM_TOTAL) throw new Error(`grpc pull delivered ${received} bytes`);
    },
    async close() {
      client.close();
    },
  };
}

/**
 * One caller's ceiling: a bare socket to the server process's echo listener, a 20-byte message
 * (a 4-byte length and 16 bytes, as a handoff call's payload) written in one write and awaited
 * back whole. No framing library, no codec: what a round trip between the two processes costs.
 */
async function rawEcho(address: string, secure: boolean): Promise<{ call(): Promise<void>; close(): void }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = secure ? tls.connect({ host, port, rejectUnauthorized: false }) : net.connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once(secure ? 'secureConnect' : 'connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const message = Buffer.alloc(20, 1);
  message.writeUInt32BE(16, 0);
  let awaited = 0;
  let done: (() => void) | undefined;
  socket.on('data', (data: Buffer) => {
    awaited -= data.length;
    if (awaited <= 0) done?.();
  });
  return {
    call: () =>
      new Promise<void>((resolve) => {
        awaited = message.length;
        done = resolve;
        socket.write(message);
      }),
    close: () => socket.destroy(),
  };
}

/** The server process, and its CPU time on request. */
async function serverProcess(cert: string, key: string) {
  const child = fork(fileURLToPath(new URL('./rpc-peer-server.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, HANDOFF_BENCH_CERT: cert, HANDOFF_BENCH_KEY: key } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports = await new Promise<Record<string, string>>((resolve, reject) => {
    child.once('message', (m: { ports: Record<string, string> }) => resolve(m.ports));
    child.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it was ready`)));
  });
  return {
    ports,
    cpu: () =>
      new Promise<number>((resolve) => {
        child.once('message', (m: { cpuSeconds: number }) => resolve(m.cpuSeconds));
        child.send({ cpu: true });
      }),
    async close() {
      child.send({ close: true });
      await exited;
    },
  };
}

function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-rpc-bench-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cpuNow = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/** Rate of `fn` with the CPU seconds both processes spent on it. */
async function measured(server: { cpu(): Promise<number> }, fn: () => Promise<number>): Promise<{ rate: number; cpu: number }> {
  const [client0, server0] = [cpuNow(), await server.cpu()];
  const rate = await fn();
  const cpu = cpuNow() - client0 + ((await server.cpu()) - server0);
  return { rate, cpu };
}

/** Whether `RPC_GRPC_ONLY` (see the module comment) asks for `kind` in `mode`; unset, every row runs. */
function wanted(mode: string, kind: string): boolean {
  const only = process.env.RPC_GRPC_ONLY;
  if (only === undefined || only === '') return true;
  return only.split(',').some((item) => item === mode || item === kind || item === `${mode}:${kind}`);
}

export async function grpcRows(): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const { cert, key } = selfSigned();
  const server = await serverProcess(cert, key);
  const rows: BenchRow[] = [];
  const cpuRatios: string[] = [];
  /** One caller's ceiling per mode (see rawEcho). */
  const ceilings: string[] = [];
  try {
    for (const mode of ['tcp', 'tls'] as const) {
      const sides = { handoff: handoffSide(server.ports[`handoff-${mode}`]!, mode === 'tls'), grpc: grpcSide(server.ports[`grpc-${mode}`]!, mode === 'tls' ? cert : undefined) };
      const kinds = {
        unary: (side: Side) => opsPerSecond(() => side.call()),
        callers: (side: Side) => opsPerSecond(async () => (await Promise.all(Array.from({ length: CALLERS }, () => side.call())), CALLERS)),
        stream: async (side: Side) => {
          const start = performance.now();
          await side.stream();
          return STREAM_TOTAL / 1e6 / ((performance.now() - start) / 1000);
        },
        pull: async (side: Side) => {
          const start = performance.now();
          await side.pull();
          return STREAM_TOTAL / 1e6 / ((performance.now() - start) / 1000);
        },
      };
      for (const [kind, run] of Object.entries(kinds)) {
        if (!wanted(mode, kind)) continue;
        // Best of two, alternating, so a noisy neighbour hurts both sides alike; one caller's
        // rows alternate with the bare round trip too.
        const best = { handoff: { rate: 0, cpu: 0 }, grpc: { rate: 0, cpu: 0 }, raw: { rate: 0, cpu: 0 } };
        const raw = kind === 'unary' ? await rawEcho(server.ports[`raw-${mode}`]!, mode === 'tls') : undefined;
        for (let round = 0; round < 2; round++) {
          for (const name of ['handoff', 'grpc'] as const) {
            const m = await measured(server, () => run(sides[name]));
            if (m.rate > best[name].rate) best[name] = m;
          }
          if (raw === undefined) continue;
          const m = await measured(server, () => opsPerSecond(() => raw.call()));
          if (m.rate > best.raw.rate) best.raw = m;
        }
        if (raw !== undefined) {
          raw.close();
          const label = mode === 'tls' ? 'TLS' : 'TCP';
          ceilings.push(
            // A unary figure runs about 1.2 s (opsPerSecond: 0.2 s warm-up, 1 s counted), so calls ≈ rate × 1.2.
            `${label}: ${fmt(best.raw.rate)} calls/s (CPU ${fmt((best.raw.cpu / (best.raw.rate * 1.2)) * 1e6, 0)} µs a call); handoff ${fmt(best.handoff.rate / best.raw.rate, 2)} of it, grpc-js ${fmt(best.grpc.rate / best.raw.rate, 2)}, so 5 × grpc-js is ${fmt((5 * best.grpc.rate) / best.raw.rate, 2)} of the bare round trip`,
          );
        }
        const unit = kind === 'stream' || kind === 'pull' ? 'MB/s' : 'calls/s';
        const what = ({ unary: 'unary, one caller (16-byte message)', callers: `unary, ${CALLERS} callers at once`, stream: 'client stream of 128 MiB in 1 MiB messages', pull: 'server stream (download) of 128 MiB in 1 MiB messages' } as Record<string, string>)[kind];
        rows.push({
          name: `${mode === 'tls' ? 'TLS' : 'TCP'}: ${what}, two processes`,
          value: `${fmt(best.handoff.rate)} ${unit} (CPU ${fmt(best.handoff.cpu, 2)} s)`,
          baseline: `@grpc/grpc-js ${fmt(best.grpc.rate)} ${unit} (CPU ${fmt(best.grpc.cpu, 2)} s)`,
          ratio: best.handoff.rate / best.grpc.rate,
          goal: ({ unary: '≥ 5', callers: '≥ 4', stream: '≥ 1.5', pull: '≥ 1.5' } as Record<string, string>)[kind]!,
        });
        // CPU per unit of work: a stream moves the same bytes on both sides; unary runs last
        // equally long (about 1.2 s), so calls made are proportional to the rate.
        const perUnit = (m: { rate: number; cpu: number }): number => (kind === 'stream' || kind === 'pull' ? m.cpu : m.cpu / m.rate);
        cpuRatios.push(`${mode.toUpperCase()} ${kind} ${fmt(perUnit(best.grpc) / perUnit(best.handoff), 2)}`);
      }
      await Promise.all([sides.handoff.close(), sides.grpc.close()]);
    }
  } finally {
    await server.close();
  }
  return {
    rows,
    notes: [
      `gRPC rows: the server in a process of its own (handoff RpcServer and grpc-js Server side by side), the client in the bench process; grpc-js ${grpcVersion()} with raw-Buffer serializers over one HTTP/2 channel; TLS with a self-signed P-256 certificate made by openssl for the run. CPU is both processes' user + system time for the better of two alternating runs (unary figures run about 1.2 s each).`,
      `CPU per unit of work (a call, or the stream's bytes), grpc-js ÷ handoff — the figure a loaded machine bends least: ${cpuRatios.join('; ')}.`,
      ...(ceilings.length === 0
        ? []
        : [`One caller's ceiling: a bare socket round trip between the same two processes (a 20-byte message echoed as it arrives, one write each way, no framing or codec; best of two, alternating with the rows above) — ${ceilings.join('; ')}.`]),
    ],
  };
}

function grpcVersion(): string {
  return (JSON.parse(readFileSync(fileURLToPath(new URL('../node_modules/@grpc/grpc-js/package.json', import.meta.url)), 'utf8')) as { version: string }).version;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await grpcRows(), null, 2));
}
