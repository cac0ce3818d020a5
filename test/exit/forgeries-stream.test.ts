/**
 * Who may speak on `GracefulExit.Process`, and what a repeated message is worth: a replayed
 * TransferSucceeded counts nothing and fails nothing, a second stream from the same node is
 * refused rather than interleaved, a stranger cannot act for the node, and a node the rules do
 * not allow to exit (too young, disqualified) is told which rule stops it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import type { SatelliteExitMessage } from '../../src/exit/messages.js';
import { TEST_SEGMENT_SIZE } from '../../src/testing/network.js';
import { patterned } from '../uplink/support/bytes.js';
import { expectInvariants, pieceDigests, type StoryObject } from './checks.js';
import { ExitNetwork } from './harness.js';
import { HandDrivenNode, receiveUntil, type ExitStream, type TransferSucceeded } from './hand-node.js';

const NO_SPARE = { algorithm: 'reed-solomon', shareSize: 256, required: 2, repair: 3, success: 5, total: 5 } as const;

const OBJECTS: StoryObject[] = [
  { key: 'small', data: patterned(3_000, 51) },
  { key: 'several', data: patterned(3 * TEST_SEGMENT_SIZE + 777, 52) },
  { key: 'nested/deep/file', data: patterned(2 * TEST_SEGMENT_SIZE, 53) },
];

let network: ExitNetwork | undefined;
const hands: HandDrivenNode[] = [];
afterEach(async () => {
  for (const hand of hands.splice(0)) await hand.close();
  await network?.close();
  network = undefined;
});

/** A network with data whose busiest node is switched off and spoken for by hand; its exit is gathered. */
async function handDriven(transport: 'memory' | 'tcp') {
  network = await ExitNetwork.start({ transport, nodes: 8, redundancy: NO_SPARE });
  const uplink = await network.uplink();
  await uplink.createBucket('bucket');
  for (const { key, data } of OBJECTS) await uplink.upload('bucket', key, data);
  const before = await pieceDigests(network);
  const leaving = network.busiest();
  await network.stopNode(leaving.index);
  const hand = new HandDrivenNode(network, leaving);
  hands.push(hand);
  await hand.initiate();
  const record = async () => (await network!.store.exits.getExit(leaving.identity.publicKey))!;
  return { network, uplink, before, leaving, hand, record };
}

/**
 * Hands over one piece honestly — the first TransferPiece in `taken` (messages already read), or
 * the next on the stream — and waits for the satellite's DeletePiece for it.
 */
async function handOverOne(hand: HandDrivenNode, stream: ExitStream, taken: SatelliteExitMessage[]): Promise<TransferSucceeded> {
  const ask = taken.find((m) => m.type === 'transferPiece') ?? (await receiveUntil(stream, 'transferPiece', taken));
  taken.splice(taken.indexOf(ask), 1);
  if (ask.type !== 'transferPiece') throw new Error('unreachable');
  const report = (await hand.transfer(ask)) as TransferSucceeded;
  expect(report.type).toBe('transferSucceeded');
  await stream.send(report);
  for (;;) {
    const message = await receiveUntil(stream, 'deletePiece', taken);
    taken.splice(taken.indexOf(message), 1);
    await hand.handle.pieces.delete(hand.satelliteId, message.originalPieceId);
    if (message.originalPieceId.every((b, i) => b === ask.originalPieceId[i])) return report;
  }
}

for (const transport of ['memory', 'tcp'] as const) {
  describe(`graceful exit: who speaks, and what a replay is worth, over ${transport}`, () => {
    it('a replayed TransferSucceeded of a finished piece, on the same stream or a new one, counts nothing and fails nothing', async () => {
      const { network, uplink, before, leaving, hand, record } = await handDriven(transport);
      const stream = await hand.open();
      const taken: SatelliteExitMessage[] = [];
      const first = await handOverOne(hand, stream, taken);
      expect((await record()).piecesTransferred).toBe(1);

      await stream.send(first); // the same proof again, receipt and all
      const second = await handOverOne(hand, stream, taken);
      let now = await record();
      expect(now.piecesTransferred).toBe(2);
      expect(now.piecesFailed).toBe(0);
      expect(now.finishedAt).toBeNull();

      // Hang up and come back with both old proofs before anything else.
      stream.cancel();
      const { stream: again, first: firstAgain } = await hand.reconnect();
      await again.send(first);
      await again.send(second);
      const { final, succeeded } = await hand.runHonestly(again, [firstAgain]);
      expect(final.type).toBe('exitCompleted');
      now = await record();
      expect(now.outcome).toBe('completed');
      expect(now.piecesFailed).toBe(0);
      expect(now.piecesTransferred).toBe(2 + succeeded.length);
      expect(now.piecesTransferred).toBe(now.piecesQueued);
      await expectInvariants(network, { exiting: leaving, uplink, bucket: 'bucket', objects: OBJECTS, before, node: false });
    });

    it('a second Process stream from the same node is refused (FailedPrecondition), and the first goes on undisturbed', async () => {
      const { network, uplink, before, leaving, hand, record } = await handDriven(transport);
      const stream = await hand.open();
      const first = await stream.receive();
      expect(first?.type).toBe('transferPiece');

      const second = await hand.open();
      await expect(second.receive()).rejects.toMatchObject({ name: 'FailedPreconditionError', message: expect.stringMatching(/one at a time/) });

      const { final, succeeded } = await hand.runHonestly(stream, [first!]);
      expect(final.type).toBe('exitCompleted');
      const done = await record();
      expect(done.outcome).toBe('completed');
      expect(done.piecesTransferred).toBe(succeeded.length);
      await expectInvariants(network, { exiting: leaving, uplink, bucket: 'bucket', objects: OBJECTS, before, node: false });
    });

    it('the caller is the authenticated peer: a stranger holding a valid proof cannot act for the node', async () => {
      const { network, uplink, before, leaving, hand, record } = await handDriven(transport);
      const stream = await hand.open();
      const ask = await receiveUntil(stream, 'transferPiece');
      const report = await hand.transfer(ask);
      expect(report.type).toBe('transferSucceeded');

      const strangerIdentity = Identity.generate();
      const stranger = new HandDrivenNode(network, leaving, strangerIdentity);
      hands.push(stranger);
      const foreign = await stranger.open();
      await foreign.send(report).catch(() => undefined);
      await expect(foreign.receive()).rejects.toMatchObject({ name: 'PermissionDeniedError' });
      // Nothing counted for the node, nothing started for the stranger.
      expect((await record()).piecesTransferred).toBe(0);
      expect(await network.store.exits.getItem(leaving.identity.publicKey, ask.originalPieceId)).toBeDefined();
      expect(await network.store.exits.getExit(strangerIdentity.publicKey)).toBeUndefined();
      expect(await network.store.overlay.get(strangerIdentity.publicKey)).toBeUndefined();

      // The node itself may send the same proof: it counts.
      await stream.send(report);
      const { final, succeeded } = await hand.runHonestly(stream);
      expect(final.type).toBe('exitCompleted');
      const done = await record();
      expect(done.piecesTransferred).toBe(1 + succeeded.length);
      await expectInvariants(network, { exiting: leaving, uplink, bucket: 'bucket', objects: OBJECTS, before, node: false });
    });
  });

  describe(`graceful exit eligibility over ${transport}`, () => {
    it('a node younger than exit.minNodeAgeMs gets a typed error naming the rule, and no exit starts', async () => {
      network = await ExitNetwork.start({ transport, nodes: 5, exit: { minNodeAgeMs: 30 * 86_400_000 } });
      const { node, identity } = network.nodes[0]!;
      await expect(node!.exitSatellite(network.satellite.id.bytes)).rejects.toMatchObject({ name: 'FailedPreconditionError', message: expect.stringMatching(/may exit once it is 30 days old/) });
      expect(await network.store.exits.getExit(identity.publicKey)).toBeUndefined();
      expect((await network.store.overlay.get(identity.publicKey))!.status).toBe('active');
      expect(await node!.exitStatuses()).toEqual([]);
    });

    it('a disqualified node cannot start an exit, and is told why', async () => {
      network = await ExitNetwork.start({ transport, nodes: 5 });
      const { node, identity } = network.nodes[0]!;
      await network.store.overlay.setStatus({ id: identity.publicKey, from: 'active', to: 'disqualified', at: Date.now(), reason: 'failed audits' });
      await expect(node!.exitSatellite(network.satellite.id.bytes)).rejects.toMatchObject({ name: 'PermissionDeniedError', message: expect.stringMatching(/disqualified node cannot exit \(failed audits\)/) });
      expect(await network.store.exits.getExit(identity.publicKey)).toBeUndefined();
      expect((await network.store.overlay.get(identity.publicKey))!.status).toBe('disqualified');
      expect(await node!.exitStatuses()).toEqual([]);
    });
  });
}
