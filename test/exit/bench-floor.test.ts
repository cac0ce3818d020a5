/**
 * The exit bench's protocol floor (bench/exit-floor.ts) is what bench/results.md compares the
 * exit and its goal against, so it must really move every piece and really check every proof.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { floorSatellite, makeOriginal, proveForUpload, receiveWithProof, type Assignment } from '../../bench/exit-floor.js';
import { rawReceivers, rawSender, type Party } from '../../bench/exit-raw.js';
import { toHex } from '../../src/core/bytes.js';
import { getCryptoProvider } from '../../src/crypto/select.js';

const c = getCryptoProvider();
const PIECE = 4096;
const keyPair = () => {
  const privateKey = c.randomBytes(32);
  return { privateKey, publicKey: c.ed25519PublicKey(privateKey) };
};

const open: { close(): Promise<void> }[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const party of open.splice(0).reverse()) await party.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function started<T extends { close(): Promise<void> }>(party: Promise<T>): Promise<T> {
  const p = await party;
  open.push(p);
  return p;
}

/**
 * A floor copy of `count` piece files (random bytes, a header after the piece in each) to
 * `receivers`, through a floor satellite. `receiversTrust` is the satellite key the receivers
 * check limits against (the real one unless a test says otherwise).
 */
async function floorCopy(o: { count: number; receivers: number; concurrency: number; window: number; receiversTrust?: Uint8Array }) {
  const dir = await mkdtemp(join(tmpdir(), 'handoff-floor-'));
  dirs.push(dir);
  const satellite = keyPair();
  const receivers = Array.from({ length: o.receivers }, keyPair);
  const receiverKeys = receivers.map((r) => toHex(r.publicKey));
  const satDir = join(dir, 'source', toHex(satellite.publicKey));
  const pieces = new Map<string, Uint8Array>();
  for (let i = 0; i < o.count; i++) {
    const id = toHex(c.randomBytes(32));
    const bytes = c.randomBytes(PIECE + 100); // a piece file: the piece, then its header
    await mkdir(join(satDir, id.slice(0, 2)), { recursive: true });
    await writeFile(join(satDir, id.slice(0, 2), id), bytes);
    pieces.set(id, bytes.subarray(0, PIECE));
  }
  const errors: string[] = [];
  const sat = await started(floorSatellite({ privateKey: toHex(satellite.privateKey), receiverPublicKeys: receiverKeys, pieces: o.count, window: o.window }));
  const listeners: Party = await started(
    rawReceivers(
      { dir: join(dir, 'out'), count: o.receivers, fsync: false, floor: { satellitePublicKey: toHex(o.receiversTrust ?? satellite.publicKey), privateKeys: receivers.map((r) => toHex(r.privateKey)) } },
      (error) => errors.push(String(error)),
    ),
  );
  const sender = await started(
    rawSender({
      piecesRoot: join(dir, 'source'),
      satelliteId: toHex(satellite.publicKey),
      ports: (listeners.ready as { ports: number[] }).ports,
      concurrency: o.concurrency,
      pieceSize: PIECE,
      floor: { satellitePort: (sat.ready as { port: number }).port, satellitePrivateKey: toHex(satellite.privateKey), receiverPublicKeys: receiverKeys },
    }),
  );
  return { dir, pieces, errors, sender };
}

describe('the exit bench protocol floor', () => {
  it('moves every piece byte for byte through the satellite window and the receivers proofs', async () => {
    const { dir, pieces, errors, sender } = await floorCopy({ count: 5, receivers: 2, concurrency: 2, window: 2 });
    await expect(sender.go!()).resolves.toMatchObject({ bytes: 5 * PIECE, pieces: 5 });
    expect(errors).toEqual([]);
    const written = new Map<string, Uint8Array>();
    for (const receiver of ['raw-0', 'raw-1']) {
      const root = join(dir, 'out', receiver, 'pieces');
      for (const fan of await readdir(root)) for (const id of await readdir(join(root, fan))) written.set(id, new Uint8Array(await readFile(join(root, fan, id))));
    }
    expect(written).toEqual(pieces);
  });

  it('fails the copy, without hanging, when a receiver refuses a proof', async () => {
    // The receiver trusts another satellite: the limit's signature does not verify there.
    const { errors, sender } = await floorCopy({ count: 1, receivers: 1, concurrency: 1, window: 1, receiversTrust: keyPair().publicKey });
    await expect(sender.go!()).rejects.toThrow(/closed the connection before answering/);
    expect(errors).toEqual([expect.stringMatching(/limit does not verify/)]);
  });

  it('refuses a piece whose order or bytes do not match its proofs', () => {
    const satellite = keyPair();
    const receiver = keyPair();
    const data = c.randomBytes(PIECE);
    const original = makeOriginal(satellite.privateKey, data);
    const piece = keyPair();
    const limit = c.randomBytes(160);
    const assignment: Assignment = { index: 0, piecePrivateKey: piece.privateKey, piecePublicKey: piece.publicKey, limit, limitSignature: c.ed25519Sign(satellite.privateKey, limit) };
    const proof = proveForUpload(original, data, assignment);
    expect(receiveWithProof(proof, [data], satellite.publicKey, receiver.privateKey)).toHaveLength(108);

    const flipped = data.slice();
    flipped[7]! ^= 1;
    expect(() => receiveWithProof(proof, [flipped], satellite.publicKey, receiver.privateKey)).toThrow(/do not match the piece hash/);
    for (const at of [0, 160 + 64 + 32 + 1, proof.length - 1]) {
      const forged = proof.slice();
      forged[at]! ^= 1;
      expect(() => receiveWithProof(forged, [data], satellite.publicKey, receiver.privateKey)).toThrow(/does not verify/);
    }
    expect(() => proveForUpload(original, flipped, assignment)).toThrow(/does not match its hash/);
  });
});
