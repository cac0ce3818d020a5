/**
 * The graceful exit's protocol floor (bench/exit.ts): the raw copy plus what the protocol
 * requires of each party for every piece and cannot be done without — its cryptography and its
 * round trip to the satellite — and nothing else. No RPC layer, no codec, no store, no rows:
 * messages are fixed-size byte strings of about the size of the real ones, signed and verified
 * with the SDK's crypto provider (node:crypto, keys imported once where the real parties cache
 * them too).
 *
 * Per piece, as in the exit:
 * - the satellite verifies the report of the previous piece (its own original limit, the uplink's
 *   original piece hash under the original piece key, the receiver's signed hash), generates a
 *   piece key and signs a `PUT_GRACEFUL_EXIT` limit for the next piece;
 * - the sender (the exiting node) hashes the piece it read, verifies its stored signed hash, signs
 *   an order and a piece hash with the new piece key, sends them with the piece, verifies the
 *   receiver's signed hash and reports to the satellite;
 * - the receiver verifies the limit, the order and the piece hash, hashes the bytes, writes them
 *   as the raw receivers do, and signs a receipt.
 *
 * Left out, though the protocol needs them too (so the floor is faster than any real exit): the
 * persisted state (queue rows, progress, serials, orders, the segment's compare-and-swap), the
 * original pieces' deletes, the node's stored header.
 */
import net from 'node:net';
import { equalBytes, fromHex } from '../src/core/bytes.js';
import { getCryptoProvider } from '../src/crypto/select.js';

const KEY = 32;
const SIG = 64;
/** About the size of a signed order limit's encoding. */
const LIMIT = 160;
/** An order: serial number and amount. */
const ORDER = 48;
/** A piece hash message: SHA-256, size, time. */
const HASH_MSG = 44;

/** After the raw frame's header: limit ‖ limit signature ‖ piece public key ‖ order ‖ its signature ‖ piece hash ‖ its signature. */
export const PROOF_BYTES = LIMIT + SIG + KEY + ORDER + SIG + HASH_MSG + SIG;
/** The receiver's answer: its signed piece hash. */
export const RECEIPT_BYTES = HASH_MSG + SIG;
/** The satellite's message: a flag (1: transfer this piece, 2: every piece is verified: done), piece index, piece private key, piece public key, limit, limit signature. */
export const ASSIGNMENT_BYTES = 1 + 4 + KEY + KEY + LIMIT + SIG;
/** The sender's report: piece index, original limit and its signature, original piece hash and its signature, original piece public key, receipt, receiver index. */
export const REPORT_BYTES = 4 + LIMIT + SIG + HASH_MSG + SIG + KEY + RECEIPT_BYTES + 1;

const crypto = () => getCryptoProvider();

function hashMessage(hash: Uint8Array, size: number, at = Date.now()): Uint8Array {
  const message = new Uint8Array(HASH_MSG);
  message.set(hash, 0);
  const view = new DataView(message.buffer);
  view.setUint32(KEY, size);
  view.setFloat64(KEY + 4, at);
  return message;
}

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`floor: ${what} does not verify`);
}

/** Whether two piece hash messages (or a message and a digest) name the same SHA-256. */
const sameHash = (a: Uint8Array, b: Uint8Array): boolean => equalBytes(a.subarray(0, KEY), b.subarray(0, KEY));

/** Reads a message's fields in order: each call returns the next `n` bytes, from `at` on (views). */
function fieldReader(bytes: Uint8Array, at = 0): (n: number) => Uint8Array {
  return (n) => bytes.subarray(at, (at += n));
}

/** Writes a message's fields in order into `out`, from `at` on; returns where it stopped. */
function writeFields(out: Uint8Array, at: number, ...fields: Uint8Array[]): number {
  for (const field of fields) (out.set(field, at), (at += field.length));
  return at;
}

/**
 * Calls `handle` with each message of `size` bytes arriving on `socket`, however the stream cuts
 * them (every floor message has a fixed size).
 */
export function onFixedMessages(socket: net.Socket, size: number, handle: (message: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= size) {
      const message = pending.subarray(0, size);
      pending = pending.subarray(size);
      handle(message);
    }
  });
}

/** What the sender holds of each piece as the exiting node does in its header: the original limit and the uplink's signed hash. */
export interface Original {
  readonly limit: Uint8Array;
  readonly limitSignature: Uint8Array;
  readonly hashMessage: Uint8Array;
  readonly hashSignature: Uint8Array;
  readonly piecePublicKey: Uint8Array;
}

/** The proofs an upload would have left with the exiting node (made before the measurement). */
export function makeOriginal(satellitePrivateKey: Uint8Array, data: Uint8Array): Original {
  const c = crypto();
  const pieceKey = c.randomBytes(KEY);
  const limit = c.randomBytes(LIMIT);
  const hash = hashMessage(c.sha256(data), data.length);
  return {
    limit,
    limitSignature: c.ed25519Sign(satellitePrivateKey, limit),
    hashMessage: hash,
    hashSignature: c.ed25519Sign(pieceKey, hash),
    piecePublicKey: c.ed25519PublicKey(pieceKey),
  };
}

/** The receiver's work on one piece: three verifications, SHA-256 of the bytes, a signed receipt. */
export function receiveWithProof(proof: Uint8Array, parts: readonly Uint8Array[], satellitePublicKey: Uint8Array, receiverPrivateKey: Uint8Array): Uint8Array {
  const c = crypto();
  const take = fieldReader(proof);
  const limit = take(LIMIT);
  must(c.ed25519Verify(satellitePublicKey, limit, take(SIG)), 'limit');
  const piecePublicKey = take(KEY);
  const order = take(ORDER);
  must(c.ed25519Verify(piecePublicKey, order, take(SIG)), 'order');
  const hash = take(HASH_MSG);
  must(c.ed25519Verify(piecePublicKey, hash, take(SIG)), 'piece hash');
  const hasher = c.createSha256();
  let size = 0;
  for (const part of parts) (hasher.update(part), (size += part.length));
  const digest = hasher.digest();
  if (!sameHash(digest, hash)) throw new Error('floor: the bytes do not match the piece hash');
  const receipt = hashMessage(digest, size);
  const out = new Uint8Array(RECEIPT_BYTES);
  writeFields(out, 0, receipt, c.ed25519Sign(receiverPrivateKey, receipt));
  return out;
}

/** An assignment from the floor satellite, decoded. */
export interface Assignment {
  readonly index: number;
  readonly piecePrivateKey: Uint8Array;
  readonly piecePublicKey: Uint8Array;
  readonly limit: Uint8Array;
  readonly limitSignature: Uint8Array;
}

/** An assignment, or `'done'` once the satellite verified every piece. */
export function decodeAssignment(bytes: Uint8Array): Assignment | 'done' {
  if (bytes[0] === 2) return 'done';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const take = fieldReader(bytes, 5);
  return { index: view.getUint32(1), piecePrivateKey: take(KEY), piecePublicKey: take(KEY), limit: take(LIMIT), limitSignature: take(SIG) };
}

/**
 * The sender's work on one piece before it goes out: SHA-256 of the bytes read, the stored hash
 * checked and its signature verified, an order and a piece hash signed with the piece key.
 * Returns the proof block the frame carries.
 */
export function proveForUpload(original: Original, data: Uint8Array, assignment: Assignment): Uint8Array {
  const c = crypto();
  const digest = c.sha256(data);
  if (!sameHash(digest, original.hashMessage)) throw new Error('floor: the stored piece does not match its hash');
  must(c.ed25519Verify(original.piecePublicKey, original.hashMessage, original.hashSignature), 'stored piece hash');
  const order = new Uint8Array(ORDER); // a serial number and an amount
  new DataView(order.buffer).setUint32(0, data.length);
  const hash = hashMessage(digest, data.length);
  const proof = new Uint8Array(PROOF_BYTES);
  writeFields(
    proof, 0,
    assignment.limit, assignment.limitSignature, assignment.piecePublicKey,
    order, c.ed25519Sign(assignment.piecePrivateKey, order),
    hash, c.ed25519Sign(assignment.piecePrivateKey, hash),
  );
  return proof;
}

/** The sender's check of the receiver's signed hash, then its report to the satellite. */
export function reportTransfer(index: number, original: Original, receipt: Uint8Array, receiverIndex: number, receiverPublicKey: Uint8Array): Uint8Array {
  const c = crypto();
  must(c.ed25519Verify(receiverPublicKey, receipt.subarray(0, HASH_MSG), receipt.subarray(HASH_MSG)), 'receipt');
  if (!sameHash(receipt, original.hashMessage)) throw new Error('floor: the receiver hashed other bytes');
  const report = new Uint8Array(REPORT_BYTES);
  new DataView(report.buffer).setUint32(0, index);
  const end = writeFields(report, 4, original.limit, original.limitSignature, original.hashMessage, original.hashSignature, original.piecePublicKey, receipt);
  report[end] = receiverIndex;
  return report;
}

/**
 * The floor's satellite, one sender at a time: `window` assignments as the sender connects, then
 * one more for each report it verifies (three signatures), each with a fresh piece key and a
 * signed limit (the real satellite's sliding window); `done` once every piece is verified.
 */
export async function floorSatellite(o: { privateKey: string; receiverPublicKeys: string[]; pieces: number; window: number }): Promise<{ ready: unknown; close(): Promise<void> }> {
  const c = crypto();
  const privateKey = fromHex(o.privateKey);
  const publicKey = c.ed25519PublicKey(privateKey);
  const receivers = o.receiverPublicKeys.map(fromHex);
  let next = 0;
  let verified = 0;
  const verify = (report: Uint8Array): void => {
    const take = fieldReader(report, 4);
    const limit = take(LIMIT);
    must(c.ed25519Verify(publicKey, limit, take(SIG)), 'original limit');
    const hash = take(HASH_MSG);
    const hashSignature = take(SIG);
    must(c.ed25519Verify(take(KEY), hash, hashSignature), 'original piece hash');
    const receipt = take(HASH_MSG);
    const receiptSignature = take(SIG);
    const receiver = receivers[take(1)[0]!];
    must(receiver !== undefined && c.ed25519Verify(receiver, receipt, receiptSignature), 'receiver piece hash');
    if (!sameHash(receipt, hash)) throw new Error('floor: the replacement hash differs');
    verified++;
  };
  const assign = (): Uint8Array => {
    const out = new Uint8Array(ASSIGNMENT_BYTES);
    out[0] = 1;
    new DataView(out.buffer).setUint32(1, next++);
    const pieceKey = c.randomBytes(KEY);
    const piecePublicKey = c.ed25519PublicKey(pieceKey);
    const limit = new Uint8Array(LIMIT); // a serial number, the piece's public key, the rest of the limit's fields
    limit.set(c.randomBytes(16), 0);
    limit.set(piecePublicKey, 16);
    writeFields(out, 5, pieceKey, piecePublicKey, limit, c.ed25519Sign(privateKey, limit));
    return out;
  };
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    while (next < o.pieces && next < o.window) socket.write(assign());
    onFixedMessages(socket, REPORT_BYTES, (report) => {
      verify(report);
      if (next < o.pieces) socket.write(assign());
      else if (verified === o.pieces) socket.write(new Uint8Array(ASSIGNMENT_BYTES).fill(2, 0, 1));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ready: { port: (server.address() as net.AddressInfo).port },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
