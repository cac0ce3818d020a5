/**
 * Metainfo calls per second over TCP with the SQLite store and with PostgreSQL, against the raw
 * unary RPC rate of the same run. Calls are issued by 8 concurrent clients (a satellite serves
 * many uplinks at once); the baseline is an echo method on the same kind of server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { s } from '../src/codec/index.js';
import { Identity } from '../src/crypto/index.js';
import * as M from '../src/metainfo/methods.js';
import { Satellite, openSatelliteStore, type SatelliteStoreOptions } from '../src/satellite/index.js';
import { RpcClient, RpcServer, tcpTransport, unaryMethod } from '../src/transport/index.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { fmt, type BenchRow, type BenchSection } from './lib.js';

const Echo = unaryMethod('Bench.Echo', s.object({ n: s.int() }), s.object({ n: s.int() }));
const CONCURRENCY = 8;
const encryption = { cipherSuite: 'aes-256-gcm', blockSize: 65520 };

/** Runs `call` from `CONCURRENCY` loops for `ms` and returns calls per second. */
async function rate(call: (i: number) => Promise<unknown>, ms = 2000): Promise<number> {
  const warm = Date.now() + 300;
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = 0; Date.now() < warm; i++) await call(w * 1e9 + i);
  }));
  let calls = 0;
  const start = performance.now();
  const end = Date.now() + ms;
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = 0; Date.now() < end; i++) {
      await call(w * 1e9 + 1e6 + i);
      calls++;
    }
  }));
  return (calls * 1000) / (performance.now() - start);
}

async function rawUnaryRate(): Promise<number> {
  const server = new RpcServer({ identity: Identity.generate() });
  server.unary(Echo, (r) => r);
  const listener = await server.listen(tcpTransport(), '127.0.0.1:0');
  const client = new RpcClient({ transport: tcpTransport(), address: listener.address, maxIdleConnections: CONCURRENCY });
  try {
    return await rate((n) => client.call(Echo, { n }));
  } finally {
    await client.close();
    await server.close();
  }
}

async function metainfoRates(store: SatelliteStoreOptions): Promise<{ write: number; read: number }> {
  const satellite = await Satellite.start({ transport: tcpTransport(), address: '127.0.0.1:0', store: await openSatelliteStore(store) });
  const client = new RpcClient({ transport: tcpTransport(), address: satellite.address, maxIdleConnections: CONCURRENCY });
  try {
    const { apiKey } = await satellite.createProject('bench');
    const header = { apiKey };
    await client.call(M.CreateBucket, { header, name: 'bench' });
    const key = (n: number) => new TextEncoder().encode(`objects/${n}`);
    const inline = { position: { part: 0, index: 0 }, encryptedKey: new Uint8Array(48), encryptedKeyNonce: new Uint8Array(24), plainSize: 100, inlineData: new Uint8Array(116) };
    const write = await rate((n) => client.call(M.CommitInlineObject, { header, bucket: 'bench', encryptedKey: key(n), encryption, inline }));
    for (let n = 0; n < 1000; n++) await client.call(M.CommitInlineObject, { header, bucket: 'bench', encryptedKey: key(n), encryption, inline });
    const read = await rate((n) => client.call(M.GetObject, { header, bucket: 'bench', encryptedKey: key(n % 1000) }));
    return { write, read };
  } finally {
    await client.close();
    await satellite.close();
    await satellite.store.close();
  }
}

export async function benchMetainfo(): Promise<BenchSection> {
  const raw = await rawUnaryRate();
  const rows: BenchRow[] = [];
  const notes: string[] = [`${CONCURRENCY} concurrent callers, one process; raw baseline: an echo unary method on the same RPC stack over TCP, ${fmt(raw)} calls/s.`];
  const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-metainfo-'));
  try {
    const sqlite = await metainfoRates({ kind: 'sqlite', dir });
    rows.push({ name: 'CommitInlineObject (SQLite)', value: `${fmt(sqlite.write)} calls/s`, baseline: `raw unary RPC ${fmt(raw)}/s`, ratio: sqlite.write / raw, goal: '' });
    rows.push({ name: 'GetObject (SQLite)', value: `${fmt(sqlite.read)} calls/s`, baseline: `raw unary RPC ${fmt(raw)}/s`, ratio: sqlite.read / raw, goal: '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.HANDOFF_PG_URL) {
    const db = await createTestDatabase();
    try {
      const pg = await metainfoRates({ kind: 'postgres', connectionString: db.url });
      rows.push({ name: 'CommitInlineObject (PostgreSQL)', value: `${fmt(pg.write)} calls/s`, baseline: `raw unary RPC ${fmt(raw)}/s`, ratio: pg.write / raw, goal: '' });
      rows.push({ name: 'GetObject (PostgreSQL)', value: `${fmt(pg.read)} calls/s`, baseline: `raw unary RPC ${fmt(raw)}/s`, ratio: pg.read / raw, goal: '' });
    } finally {
      await db.drop();
    }
  } else {
    notes.push('PostgreSQL not measured: HANDOFF_PG_URL is not set.');
  }
  return { title: 'Metainfo calls (issue 3)', rows, notes };
}
