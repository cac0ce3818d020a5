/**
 * A storage node serving Piecestore over the memory network (or TCP), a trusted satellite that
 * signs its limits, and an uplink client — everything a piecestore test needs.
 */
import { ManualClock } from '../../../src/core/clock.js';
import { Identity } from '../../../src/crypto/identity.js';
import { getCryptoProvider } from '../../../src/crypto/select.js';
import { NodeDatabase } from '../../../src/node/db/index.js';
import { signOrderLimit, type OrderLimit, type UnsignedOrderLimit } from '../../../src/orders/order-limit.js';
import { generatePieceKey, pieceSigner } from '../../../src/orders/piece-key.js';
import { registerPiecestore, type PiecestoreDeps } from '../../../src/piecestore/service.js';
import { MemoryPieceStore } from '../../../src/piecestore/memory-store.js';
import type { PieceStore } from '../../../src/piecestore/store.js';
import { RpcClient, RpcServer, memoryNetwork, type Transport } from '../../../src/transport/index.js';

export const T0 = 1_700_000_000_000;
export const random = (n: number): Uint8Array => getCryptoProvider().randomBytes(n);

export interface World {
  readonly node: Identity;
  readonly satellite: Identity;
  readonly pieces: PieceStore;
  readonly db: NodeDatabase;
  readonly clock: ManualClock;
  readonly client: RpcClient;
  readonly address: string;
  readonly server: RpcServer;
  /** A limit for this node signed by the trusted satellite, with a fresh piece key; `overrides` win. */
  limit(overrides?: Partial<UnsignedOrderLimit>, signer?: Identity): { limit: OrderLimit; pieceKey: Identity };
  /** True when the serial of `limit` was never burnt (checking burns it, so check once). */
  serialUnused(limit: OrderLimit): boolean;
  close(): Promise<void>;
}

export interface WorldOptions {
  readonly pieces?: PieceStore;
  readonly transport?: Transport;
  readonly address?: string;
  readonly deps?: Partial<PiecestoreDeps>;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const node = Identity.generate();
  const satellite = Identity.generate();
  const clock = new ManualClock(T0);
  const db = await NodeDatabase.open({ path: ':memory:' });
  db.trustSatellite({ id: satellite.publicKey, address: 'satellite:1', addedAt: T0 });
  const pieces = options.pieces ?? new MemoryPieceStore();
  const server = new RpcServer({ identity: node });
  registerPiecestore(server, { identity: node, pieces, db, trusted: (id) => db.isTrusted(id), clock, ...options.deps });
  const transport = options.transport ?? memoryNetwork().transport();
  const { address } = await server.listen(transport, options.address ?? 'node:0');
  const client = new RpcClient({ transport, address });
  return {
    node, satellite, pieces, db, clock, client, address, server,
    limit(overrides = {}, signer = satellite) {
      const key = generatePieceKey();
      const limit = signOrderLimit(signer, {
        serialNumber: random(16),
        satelliteId: satellite.publicKey,
        storageNodeId: node.publicKey,
        pieceId: random(32),
        action: 'PUT',
        limitBytes: 4 * 1024 * 1024,
        orderExpiration: T0 + 3_600_000,
        piecePublicKey: key.publicKey,
        createdAt: T0,
        ...overrides,
      });
      return { limit, pieceKey: pieceSigner(key.privateKey) };
    },
    serialUnused: (limit) => db.useSerial(limit.satelliteId, limit.serialNumber, limit.orderExpiration),
    async close() {
      await client.close();
      await server.close();
      db.close();
    },
  };
}

/** Deterministic pseudo-random bytes. */
export function pieceData(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<{ data: Uint8Array; sizes: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { data, sizes: parts.map((p) => p.length) };
}

/** The error a promise rejects with (its name), or 'resolved'. */
export async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return (err as Error).name;
  }
}
