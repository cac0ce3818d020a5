/**
 * A malicious exiting node, driven by hand, claims transfers its proof cannot back: success for a
 * piece it never sent, the receiver's signature forged, another node's receipt, a receipt from a
 * node it was not told to use. Each time the satellite fails the exit at once
 * (VERIFICATION_FAILED), disqualifies the node with the reason, sends a receipt that verifies and
 * sends it again unchanged on reconnect — and never tells the node to delete a piece, so the data
 * stays where the segments say it is. The three invariants (checks.ts) hold after each.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../src/core/bytes.js';
import type { SatelliteExitMessage } from '../../src/exit/messages.js';
import { encodeExitReceipt, verifyExitReceipt } from '../../src/exit/receipt.js';
import type { TransferPieceMessage } from '../../src/exit/worker.js';
import { signPieceHash } from '../../src/orders/piece-hash.js';
import { derivePieceId } from '../../src/orders/piece-id.js';
import { pieceSigner } from '../../src/orders/piece-key.js';
import { uploadPiece } from '../../src/piecestore/client.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { expectInvariants, pieceDigests, piecesOn, type StoryObject } from './checks.js';
import { ExitNetwork } from './harness.js';
import { HandDrivenNode, receiveUntil, type TransferSucceeded } from './hand-node.js';

const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;

const OBJECTS: StoryObject[] = [
  { key: 'small', data: patterned(3_000, 41) },
  { key: 'several', data: patterned(3 * TEST_SEGMENT_SIZE + 777, 42) },
  { key: 'nested/deep/file', data: patterned(2 * TEST_SEGMENT_SIZE, 43) },
];

let network: ExitNetwork | undefined;
let hand: HandDrivenNode | undefined;
afterEach(async () => {
  await hand?.close();
  hand = undefined;
  await network?.close();
  network = undefined;
});

/** A network with data; its busiest node is switched off and spoken for by hand, its exit gathered and streaming. */
async function forgery(transport: 'memory' | 'tcp') {
  network = await ExitNetwork.start({ transport, nodes: 8, redundancy: NO_SPARE });
  const uplink = await network.uplink();
  await uplink.createBucket('bucket');
  for (const { key, data } of OBJECTS) await uplink.upload('bucket', key, data);
  const before = await pieceDigests(network);
  const leaving = network.busiest();
  const held = await piecesOn(network, leaving.identity.publicKey);
  await network.stopNode(leaving.index);
  hand = new HandDrivenNode(network, leaving);
  await hand.initiate();
  const stream = await hand.open();
  const seen: SatelliteExitMessage[] = [];
  const ask = await receiveUntil(stream, 'transferPiece', seen);
  return { network, uplink, before, leaving, held, hand, stream, seen, ask };
}

type Forgery = Awaited<ReturnType<typeof forgery>>;

/** The honest parts of a report for `ask`: the node's stored original limit and uplink hash. */
async function honestParts(s: Forgery, ask: TransferPieceMessage) {
  const { header, data } = await s.hand.stored(ask.originalPieceId);
  return { header, data, report: { type: 'transferSucceeded', originalPieceId: ask.originalPieceId, originalOrderLimit: header.orderLimit, originalPieceHash: header.uplinkPieceHash } as const };
}

/** What must follow any forgery: failed at once, disqualified, a verifying receipt re-sent unchanged, no piece deleted anywhere. */
async function expectCaught(s: Forgery, detail: RegExp): Promise<void> {
  const failed = await receiveUntil(s.stream, 'exitFailed', s.seen);
  expect(await s.stream.receive()).toBeUndefined();
  expect(failed.reason).toBe('VERIFICATION_FAILED');
  const nodeId = s.leaving.identity.publicKey;
  expect(verifyExitReceipt(failed.receipt, s.network.satellite.id, { nodeId })).toBe(true);
  expect(failed.receipt.outcome).toBe('failed');
  expect(failed.receipt.reason).toBe('VERIFICATION_FAILED');
  // No DeletePiece for a transfer that did not verify (nor for any other).
  expect(s.seen.filter((m) => m.type === 'deletePiece')).toEqual([]);

  const record = (await s.network.store.exits.getExit(nodeId))!;
  expect(record.outcome).toBe('failed');
  expect(record.failureReason).toBe('VERIFICATION_FAILED');
  expect(record.failureDetail).toMatch(detail);
  expect(record.piecesTransferred).toBe(0);
  const node = (await s.network.store.overlay.get(nodeId))!;
  expect(node.status).toBe('disqualified');
  expect(node.disqualifiedReason).toMatch(/VERIFICATION_FAILED/);

  // Asking again gets the same reason and the same receipt, byte for byte.
  const again = await s.hand.open();
  const resent = await again.receive();
  expect(resent?.type).toBe('exitFailed');
  if (resent?.type !== 'exitFailed') return;
  expect(resent.reason).toBe('VERIFICATION_FAILED');
  expect(toHex(encodeExitReceipt(resent.receipt))).toBe(toHex(encodeExitReceipt(failed.receipt)));
  expect(await again.receive()).toBeUndefined();

  // The node keeps every piece, and every segment still names it: nothing was handed over.
  for (const { pieceId } of s.held) expect(await s.leaving.pieces.has(s.hand.satelliteId, pieceId)).toBe(true);
  expect((await piecesOn(s.network, nodeId)).length).toBe(s.held.length);
  await expectInvariants(s.network, { exiting: s.leaving, uplink: s.uplink, bucket: 'bucket', objects: OBJECTS, before: s.before, node: false });
}

function replacementOf(s: Forgery, ask: TransferPieceMessage) {
  return s.network.nodes.find((h) => equalBytes(h.identity.publicKey, ask.limit.storageNodeId))!;
}

for (const transport of ['memory', 'tcp'] as const) {
  describe(`graceful exit forgeries over ${transport}`, () => {
    it('an exiting node that claims success for a piece it never sent is disqualified and keeps its pieces', async () => {
      const s = await forgery(transport);
      const { header, report } = await honestParts(s, s.ask);
      // Nothing is uploaded; the "receipt" is made up.
      const fabricated = { pieceId: s.ask.limit.pieceId, hash: header.uplinkPieceHash.hash, pieceSize: header.size, timestamp: Date.now(), signature: Uint8Array.from(randomBytes(64)) };
      await s.stream.send({ ...report, replacementPieceHash: fabricated });
      await expectCaught(s, /not signed by the replacement node/);
      expect(await replacementOf(s, s.ask).pieces.has(s.hand.satelliteId, s.ask.limit.pieceId)).toBe(false);
    });

    it('an exiting node that forges the receiver\'s signature (it sent other bytes, then claims the original hash) is disqualified', async () => {
      const s = await forgery(transport);
      const { header, data, report } = await honestParts(s, s.ask);
      // It uploads cheap garbage of the right size under the limit it was given…
      const garbage = patterned(data.length, 99);
      const receipt = await uploadPiece(s.hand.dial(s.ask.address, s.ask.limit.storageNodeId), { limit: s.ask.limit, pieceKey: pieceSigner(s.ask.piecePrivateKey), data: garbage });
      // …and edits the receiver's receipt to name the original hash.
      await s.stream.send({ ...report, replacementPieceHash: { ...receipt, hash: header.uplinkPieceHash.hash } });
      await expectCaught(s, /not signed by the replacement node/);
    });

    it('an exiting node that sends another node\'s hash (a genuine receipt for another piece) is disqualified', async () => {
      const s = await forgery(transport);
      const other = await receiveUntil(s.stream, 'transferPiece', s.seen);
      // It hands over the other piece honestly, but reports that receipt for the first one.
      const honest = (await s.hand.transfer(other)) as TransferSucceeded;
      expect(honest.type).toBe('transferSucceeded');
      const { report } = await honestParts(s, s.ask);
      await s.stream.send({ ...report, replacementPieceHash: honest.replacementPieceHash });
      await expectCaught(s, /not for the piece id derived for the replacement node/);
    });

    it('an exiting node that reports a transfer to a node it was not told to use is disqualified, though that node really signed', async () => {
      const s = await forgery(transport);
      const item = (await s.network.store.exits.getItem(s.leaving.identity.publicKey, s.ask.originalPieceId))!;
      const segmentNodes = (await s.network.store.metabase.segmentsByRootPieceId(item.rootPieceId)).flatMap((seg) => seg.pieces.map((p) => p.nodeId));
      // A colluding node outside the segment, not the one the satellite chose, signs a receipt for its own derived piece id.
      const accomplice = s.network.nodes.find((h) => !equalBytes(h.identity.publicKey, s.ask.limit.storageNodeId) && !segmentNodes.some((id) => equalBytes(id, h.identity.publicKey)))!;
      const { header, report } = await honestParts(s, s.ask);
      const receipt = signPieceHash(accomplice.identity, {
        pieceId: derivePieceId(item.rootPieceId, accomplice.identity.publicKey, item.pieceNumber),
        hash: header.uplinkPieceHash.hash,
        pieceSize: header.size,
        timestamp: Date.now(),
      });
      await s.stream.send({ ...report, replacementPieceHash: receipt });
      await expectCaught(s, /not for the piece id derived for the replacement node/);
    });
  });
}
