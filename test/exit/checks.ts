/**
 * What every fault and forgery story asserts at its end — the three invariants of graceful exit —
 * plus the small tools those stories share: a bounded wait for a condition, and storage taps that
 * hold a node's piece reads or commits until the story lets them go.
 *
 * 1. Each segment keeps at least its repair threshold of pieces on running nodes that really
 *    hold valid data (the bytes hash to the signed hash under the derived piece id, and match
 *    what the piece held before the story).
 * 2. Every object downloads byte-identical with the exiting (or failed) node switched off.
 * 3. No node counted a piece twice: the satellite's counters never exceed what it queued, and
 *    the node's own counters equal the satellite's.
 */
import { expect } from 'vitest';
import { equalBytes, toHex } from '../../src/core/bytes.js';
import { CanceledError } from '../../src/core/errors.js';
import type { Piece, SegmentRecord } from '../../src/metainfo/metabase/types.js';
import { verifyOrderLimitSignature } from '../../src/orders/order-limit.js';
import { verifyPieceHashSignature } from '../../src/orders/piece-hash.js';
import { derivePieceId } from '../../src/orders/piece-id.js';
import { createPieceHasher } from '../../src/piecestore/hasher.js';
import type { PieceStore, PieceWriter } from '../../src/piecestore/store.js';
import type { Uplink } from '../../src/uplink/uplink.js';
import type { ExitNetwork, ExitNodeHandle } from './harness.js';

/**
 * Polls `probe` until it returns something other than `undefined` or `false`, and returns it;
 * fails naming `what` after `timeoutMs`. For conditions no event announces (rows in a store).
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Every segment in the metabase, in (streamId, position) order. */
export async function allSegments(network: ExitNetwork): Promise<SegmentRecord[]> {
  const segments: SegmentRecord[] = [];
  let cursor;
  for (;;) {
    const batch = await network.store.metabase.iterateSegments({ cursor, limit: 100 });
    segments.push(...batch);
    if (batch.length < 100) return segments;
    const last = batch.at(-1)!;
    cursor = { streamId: last.streamId, position: last.position };
  }
}

/** The pieces `nodeId` holds according to the metabase: each segment's piece on it. */
export async function piecesOn(network: ExitNetwork, nodeId: Uint8Array): Promise<Array<{ segment: SegmentRecord; piece: Piece; pieceId: Uint8Array }>> {
  const found = [];
  for (const segment of await allSegments(network)) {
    for (const piece of segment.pieces) {
      if (equalBytes(piece.nodeId, nodeId)) found.push({ segment, piece, pieceId: derivePieceId(segment.rootPieceId, nodeId, piece.number) });
    }
  }
  return found;
}

function pieceKey(rootPieceId: Uint8Array, pieceNumber: number): string {
  return `${toHex(rootPieceId)}:${pieceNumber}`;
}

/** The SHA-256 of a stored piece when it is intact (its bytes match its signed hash), else undefined. */
async function intactDigest(network: ExitNetwork, handle: ExitNodeHandle, pieceId: Uint8Array): Promise<string | undefined> {
  const satelliteId = network.satellite.id.bytes;
  const header = await handle.pieces.header(satelliteId, pieceId).catch(() => undefined);
  if (header === undefined) return undefined;
  const hasher = createPieceHasher();
  for await (const chunk of handle.pieces.read(satelliteId, pieceId, { offset: 0, length: header.size })) hasher.update(chunk);
  const digest = hasher.digest();
  const signed = header.uplinkPieceHash;
  const intact =
    equalBytes(digest, signed.hash) &&
    signed.pieceSize === header.size &&
    equalBytes(signed.pieceId, pieceId) &&
    equalBytes(header.orderLimit.pieceId, pieceId) &&
    equalBytes(header.orderLimit.storageNodeId, handle.identity.publicKey) &&
    verifyOrderLimitSignature(header.orderLimit) &&
    verifyPieceHashSignature(signed, header.orderLimit.piecePublicKey);
  return intact ? toHex(digest) : undefined;
}

/** What each piece (root piece id, number) hashes to now: taken before a story, checked after it. */
export async function pieceDigests(network: ExitNetwork): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const byId = handlesById(network);
  for (const segment of await allSegments(network)) {
    for (const piece of segment.pieces) {
      const handle = byId.get(toHex(piece.nodeId));
      if (handle === undefined) continue;
      const digest = await intactDigest(network, handle, derivePieceId(segment.rootPieceId, piece.nodeId, piece.number));
      if (digest !== undefined) digests.set(pieceKey(segment.rootPieceId, piece.number), digest);
    }
  }
  return digests;
}

function handlesById(network: ExitNetwork): Map<string, ExitNodeHandle> {
  return new Map(network.nodes.map((h) => [toHex(h.identity.publicKey), h]));
}

/**
 * Invariant 1: every remote segment has at least its repair threshold of pieces on running
 * nodes whose stored piece is intact and (when `before` knew the piece) holds the same bytes.
 */
export async function expectRepairThreshold(network: ExitNetwork, before: ReadonlyMap<string, string>): Promise<void> {
  const byId = handlesById(network);
  for (const segment of await allSegments(network)) {
    if (segment.redundancy === undefined || segment.pieces.length === 0) continue;
    let valid = 0;
    for (const piece of segment.pieces) {
      const handle = byId.get(toHex(piece.nodeId));
      if (handle === undefined || handle.node === undefined) continue; // unknown to the harness, or switched off
      const digest = await intactDigest(network, handle, derivePieceId(segment.rootPieceId, piece.nodeId, piece.number));
      const expected = before.get(pieceKey(segment.rootPieceId, piece.number));
      if (digest !== undefined && (expected === undefined || expected === digest)) valid++;
    }
    expect(valid, `valid pieces of segment ${toHex(segment.streamId).slice(0, 8)}/${segment.position.part}.${segment.position.index}`).toBeGreaterThanOrEqual(segment.redundancy.repair);
  }
}

/** An object a story expects to read back: its key, its bytes, and the version when not the latest. */
export interface StoryObject {
  readonly key: string;
  readonly data: Uint8Array;
  readonly version?: number;
}

/** Invariant 2: every object reads back byte-identical (call it with the exiting node switched off). */
export async function expectDownloads(uplink: Uplink, bucket: string, objects: readonly StoryObject[]): Promise<void> {
  for (const { key, data, version } of objects) {
    const read = await uplink.download(bucket, key, version === undefined ? {} : { version });
    expect(equalBytes(read, data), `${key} reads back byte-identical`).toBe(true);
  }
}

/**
 * Invariant 3: the satellite counted each queued piece at most once (exactly once when the exit
 * completed), and the node's own status agrees with it. `node: false` for an exit driven by hand,
 * where the node's database never saw it. `unused`: transfers the node made and counted whose
 * segment went away before the satellite could use them (it counts those pieces dropped).
 */
export async function expectCountedOnce(network: ExitNetwork, handle: ExitNodeHandle, options: CountOptions = {}): Promise<void> {
  const record = (await network.store.exits.getExit(handle.identity.publicKey))!;
  expect(record).toBeDefined();
  const counted = record.piecesTransferred + record.piecesDropped + record.piecesFailed;
  expect(counted).toBeLessThanOrEqual(record.piecesQueued);
  if (record.outcome === 'completed') expect(counted).toBe(record.piecesQueued);
  expect(record.bytesTransferred).toBeLessThanOrEqual(record.startingBytes);
  if (record.piecesTransferred === 0) expect(record.bytesTransferred).toBe(0);
  if (options.node === false) return;
  const status = (await handle.db.exits.get(network.satellite.id.bytes))!;
  expect(status).toBeDefined();
  const unused = options.unused ?? { pieces: 0, bytes: 0 };
  expect(unused.pieces).toBeLessThanOrEqual(record.piecesDropped);
  expect(status.piecesTransferred).toBe(record.piecesTransferred + unused.pieces);
  expect(status.bytesTransferred).toBe(record.bytesTransferred + unused.bytes);
}

export interface CountOptions {
  readonly node?: boolean;
  readonly unused?: { readonly pieces: number; readonly bytes: number };
}

/**
 * All three invariants, with `exiting` switched off first (and any other node the story stopped
 * staying off).
 */
export async function expectInvariants(
  network: ExitNetwork,
  story: { readonly exiting: ExitNodeHandle; readonly uplink: Uplink; readonly bucket: string; readonly objects: readonly StoryObject[]; readonly before: ReadonlyMap<string, string> } & CountOptions,
): Promise<void> {
  await network.stopNode(story.exiting.index);
  await expectRepairThreshold(network, story.before);
  await expectDownloads(story.uplink, story.bucket, story.objects);
  await expectCountedOnce(network, story.exiting, story);
}

/** A held operation: `held` resolves once one is waiting; `release` lets every one through, now and later. */
export interface Hold {
  readonly held: Promise<void>;
  /** How many operations are waiting now. */
  readonly waiting: number;
  release(): void;
}

class Gate implements Hold {
  readonly held: Promise<void>;
  #signalHeld!: () => void;
  #released = false;
  #waiters: Array<() => void> = [];

  constructor(readonly matches: (index: number, pieceId: Uint8Array) => boolean) {
    this.held = new Promise((resolve) => (this.#signalHeld = resolve));
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  get open(): boolean {
    return this.#released;
  }

  release(): void {
    this.#released = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Waits for the release; rejects with `CanceledError` when `signal` aborts first (the node stopping). */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.#released) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(new CanceledError('held read canceled'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(wake);
      this.#signalHeld();
    });
  }
}

/**
 * Taps on every node's piece store (pass `taps.wrap` as the network's `wrapStorage`): hold reads
 * or commits that match, and remember every commit.
 */
export class StorageTaps {
  readonly #reads: Gate[] = [];
  readonly #commits: Gate[] = [];
  /** Every committed piece, as `${index}:${pieceId hex}`. */
  readonly committed = new Set<string>();

  /** Holds reads of matching pieces until released. */
  holdReads(matches: (index: number, pieceId: Uint8Array) => boolean): Hold {
    const gate = new Gate(matches);
    this.#reads.push(gate);
    return gate;
  }

  /** Holds commits of matching pieces (the bytes are in, the receipt not yet signed) until released. */
  holdCommits(matches: (index: number, pieceId: Uint8Array) => boolean): Hold {
    const gate = new Gate(matches);
    this.#commits.push(gate);
    return gate;
  }

  readonly wrap = (pieces: PieceStore, index: number): PieceStore => {
    const taps = this;
    const gateFor = (gates: Gate[], pieceId: Uint8Array) => gates.find((g) => !g.open && g.matches(index, pieceId));
    return {
      async create(satelliteId, pieceId) {
        const writer = await pieces.create(satelliteId, pieceId);
        const tapped: PieceWriter = {
          get size() {
            return writer.size;
          },
          write: (chunk) => writer.write(chunk),
          abort: () => writer.abort(),
          async commit(header) {
            await gateFor(taps.#commits, pieceId)?.wait();
            await writer.commit(header);
            taps.committed.add(`${index}:${toHex(pieceId)}`);
          },
        };
        return tapped;
      },
      async *read(satelliteId, pieceId, range, options) {
        await gateFor(taps.#reads, pieceId)?.wait(options?.signal);
        yield* pieces.read(satelliteId, pieceId, range, options);
      },
      header: (satelliteId, pieceId) => pieces.header(satelliteId, pieceId),
      has: (satelliteId, pieceId) => pieces.has(satelliteId, pieceId),
      delete: (satelliteId, pieceId) => pieces.delete(satelliteId, pieceId),
      list: (satelliteId) => pieces.list(satelliteId),
      usedBytes: (satelliteId) => pieces.usedBytes(satelliteId),
    };
  };
}
