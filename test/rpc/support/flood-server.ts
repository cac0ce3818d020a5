/**
 * Child process for the flood test: an RPC server over TCP whose memory is measured alone, not
 * mixed with the attackers' sockets. Usage: `node --import tsx --expose-gc flood-server.ts '<options json>'`.
 * Sends `{ address }` over IPC once listening. On `'start'` it takes a baseline after a full GC
 * and then samples memory (after a full GC each time) until `'stop'`, when it replies with the
 * baseline and the highest samples.
 */
import { s } from '../../../src/codec/index.js';
import { Identity } from '../../../src/crypto/index.js';
import { RpcServer, tcpTransport, unaryMethod } from '../../../src/transport/index.js';

const FloodEcho = unaryMethod('Flood.Echo', s.object({ text: s.string({ max: 100 }) }), s.object({ text: s.string() }));

export interface FloodMemory {
  baseline: { rss: number; arrayBuffers: number };
  highest: { rss: number; arrayBuffers: number };
  samples: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (process.send === undefined || gc === undefined) throw new Error('run with an IPC channel and --expose-gc');
const send = process.send.bind(process);

const server = new RpcServer({ identity: Identity.generate(), ...(JSON.parse(process.argv[2] ?? '{}') as object) });
server.unary(FloodEcho, ({ text }) => ({ text }));
const listener = await server.listen(tcpTransport(), '127.0.0.1:0');

function sample(): { rss: number; arrayBuffers: number } {
  gc!();
  const { rss, arrayBuffers } = process.memoryUsage();
  return { rss, arrayBuffers };
}

let memory: FloodMemory | undefined;
let sampler: ReturnType<typeof setInterval> | undefined;
function record(): void {
  const now = sample();
  memory!.highest.rss = Math.max(memory!.highest.rss, now.rss);
  memory!.highest.arrayBuffers = Math.max(memory!.highest.arrayBuffers, now.arrayBuffers);
  memory!.samples++;
}

process.on('message', (message) => {
  if (message === 'start') {
    const baseline = sample();
    memory = { baseline, highest: { ...baseline }, samples: 0 };
    sampler = setInterval(record, 25);
  } else if (message === 'stop') {
    clearInterval(sampler);
    record();
    send(memory);
  }
});
send({ address: listener.address });
