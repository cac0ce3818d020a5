import { describe, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import { verifyTransferProof, type ProofCheck } from '../../src/exit/proof.js';
import { signPieceHash } from '../../src/orders/piece-hash.js';
import { derivePieceId } from '../../src/orders/piece-id.js';
import { generatePieceKey, pieceSigner } from '../../src/orders/piece-key.js';
import { buildChain, bytes, flipped, originalLimit } from './proof-chain.js';

function rejected(check: ProofCheck, detail: RegExp): void {
  expect(check.ok).toBe(false);
  if (check.ok) return;
  expect(check.detail).toMatch(detail);
}

describe('verifyTransferProof: the chain of signatures behind a TransferSucceeded', () => {
  const chain = buildChain();
  const { expected, message } = chain;

  it('accepts a chain where the satellite, the uplink and the replacement node each signed their link, and reports the size moved', () => {
    expect(verifyTransferProof(expected, message)).toEqual({ ok: true, pieceSize: chain.pieceSize });
  });

  it('accepts an original limit the piece was itself received under in an earlier exit (PUT_GRACEFUL_EXIT) or repair', () => {
    for (const action of ['PUT_REPAIR', 'PUT_GRACEFUL_EXIT'] as const) {
      expect(verifyTransferProof(expected, { ...message, originalOrderLimit: originalLimit(chain, { action }) })).toEqual({ ok: true, pieceSize: chain.pieceSize });
    }
  });

  describe('the replacement link', () => {
    it('an exiting node that forges the receiver\'s signature is caught', () => {
      const forged = signPieceHash(chain.exiting, { ...chain.replacementHash });
      rejected(verifyTransferProof(expected, { ...message, replacementPieceHash: forged }), /replacement piece hash is not signed by the replacement node/);
    });

    it('an exiting node that keeps the receiver\'s signature but changes one byte of the hash is caught', () => {
      const tampered = { ...chain.replacementHash, hash: flipped(chain.replacementHash.hash, 31) };
      rejected(verifyTransferProof(expected, { ...message, replacementPieceHash: tampered }), /not signed by the replacement node/);
    });

    it('an exiting node that sends another node\'s hash is caught', () => {
      // A third node holds its own piece of the same segment and signed a receipt for it.
      const other = Identity.generate();
      const othersHash = signPieceHash(other, { pieceId: derivePieceId(chain.rootPieceId, other.publicKey, chain.pieceNumber), hash: chain.contentHash, pieceSize: chain.pieceSize, timestamp: 1 });
      rejected(verifyTransferProof(expected, { ...message, replacementPieceHash: othersHash }), /not for the piece id derived for the replacement node/);
    });

    it('an exiting node that replays the replacement\'s receipt for another piece of the segment is caught', () => {
      const otherPiece = signPieceHash(chain.replacement, { pieceId: derivePieceId(chain.rootPieceId, chain.replacement.publicKey, chain.pieceNumber + 1), hash: chain.contentHash, pieceSize: chain.pieceSize, timestamp: 1 });
      rejected(verifyTransferProof(expected, { ...message, replacementPieceHash: otherPiece }), /not for the piece id derived for the replacement node/);
    });

    it('an exiting node that reports a transfer to a node it was not told to use is caught', () => {
      // The same bytes really went to another node, which signed for its own derived piece id.
      const elsewhere = buildChain({ satellite: chain.satellite, exiting: chain.exiting, rootPieceId: chain.rootPieceId, pieceNumber: chain.pieceNumber, pieceSize: chain.pieceSize });
      rejected(verifyTransferProof(expected, { ...message, replacementPieceHash: elsewhere.replacementHash }), /not for the piece id derived for the replacement node/);
      // ...and it cannot relabel that receipt with the expected piece id without breaking the signature.
      const relabelled = { ...elsewhere.replacementHash, pieceId: chain.replacementPieceId };
      rejected(verifyTransferProof(expected, { ...message, replacementPieceHash: relabelled }), /not signed by the replacement node/);
    });

    it('a replacement node that received different bytes (one byte of the hash changed) is caught', () => {
      const different = signPieceHash(chain.replacement, { ...chain.replacementHash, hash: flipped(chain.contentHash, 0) });
      rejected(verifyTransferProof(expected, { ...message, replacementPieceHash: different }), /replacement piece hash differs from the original hash/);
    });

    it('an exiting node that claims a different size is caught', () => {
      const shorter = signPieceHash(chain.replacement, { ...chain.replacementHash, pieceSize: chain.pieceSize - 256 });
      rejected(verifyTransferProof(expected, { ...message, replacementPieceHash: shorter }), /replacement piece size differs from the original size/);
    });
  });

  describe('the original order limit', () => {
    it('an exiting node that replays a limit from another satellite is caught', () => {
      const otherSatellite = Identity.generate();
      const foreign = originalLimit({ ...chain, satellite: otherSatellite });
      rejected(verifyTransferProof(expected, { ...message, originalOrderLimit: foreign }), /original order limit is from another satellite/);
    });

    it('an exiting node that signs a limit itself in this satellite\'s name is caught', () => {
      const forged = originalLimit(chain, {}, chain.exiting);
      rejected(verifyTransferProof(expected, { ...message, originalOrderLimit: forged }), /original order limit is not signed by this satellite/);
    });

    it('an exiting node that edits a field of a genuine limit is caught', () => {
      const edited = { ...chain.limit, limitBytes: chain.limit.limitBytes + 1 };
      rejected(verifyTransferProof(expected, { ...message, originalOrderLimit: edited }), /not signed by this satellite/);
    });

    it('a genuine limit for another node is caught', () => {
      const forAnotherNode = originalLimit(chain, { storageNodeId: Identity.generate().publicKey });
      rejected(verifyTransferProof(expected, { ...message, originalOrderLimit: forAnotherNode }), /original order limit is for another node/);
    });

    it('a genuine limit for another piece is caught', () => {
      const forAnotherPiece = originalLimit(chain, { pieceId: derivePieceId(chain.rootPieceId, chain.exiting.publicKey, chain.pieceNumber + 1) });
      rejected(verifyTransferProof(expected, { ...message, originalOrderLimit: forAnotherPiece }), /original order limit is for another piece/);
    });

    it('a genuine download (GET) limit is not proof of an upload', () => {
      for (const action of ['GET', 'GET_AUDIT', 'DELETE'] as const) {
        const download = originalLimit(chain, { action });
        rejected(verifyTransferProof(expected, { ...message, originalOrderLimit: download }), new RegExp(`original order limit is a ${action}, not an upload`));
      }
    });
  });

  describe('the original piece hash', () => {
    it('a hash not signed by the limit\'s piece key is caught (the node signs its own "original")', () => {
      const selfSigned = signPieceHash(chain.exiting, { ...chain.originalHash });
      rejected(verifyTransferProof(expected, { ...message, originalPieceHash: selfSigned }), /original piece hash is not signed by the piece key of its order limit/);
    });

    it('a hash signed by another segment\'s piece key is caught', () => {
      const otherKey = generatePieceKey();
      const otherSegments = signPieceHash(pieceSigner(otherKey.privateKey), { ...chain.originalHash });
      rejected(verifyTransferProof(expected, { ...message, originalPieceHash: otherSegments }), /not signed by the piece key/);
    });

    it('one changed byte of the original hash breaks the uplink\'s signature', () => {
      const tampered = { ...chain.originalHash, hash: flipped(chain.originalHash.hash, 5) };
      rejected(verifyTransferProof(expected, { ...message, originalPieceHash: tampered }), /not signed by the piece key/);
    });

    it('an uplink-signed hash for another piece is caught', () => {
      const otherPiece = signPieceHash(pieceSigner(chain.pieceKey.privateKey), { ...chain.originalHash, pieceId: bytes(32) });
      rejected(verifyTransferProof(expected, { ...message, originalPieceHash: otherPiece }), /original piece hash is for another piece/);
    });

    it('a size change signed by the replacement alone still fails against the uplink\'s size', () => {
      // Both hashes would have to change, and only the uplink's key can sign the original.
      const bigger = { ...chain.originalHash, pieceSize: chain.pieceSize * 2 };
      rejected(verifyTransferProof(expected, { ...message, originalPieceHash: bigger }), /not signed by the piece key/);
    });
  });

  it('a proof about another piece than the one asked for is caught before anything else', () => {
    rejected(verifyTransferProof(expected, { ...message, originalPieceId: bytes(32) }), /originalPieceId is not the piece that was asked for/);
    // A whole valid chain for another piece of the node is not this transfer's proof either.
    const otherPiece = buildChain({ satellite: chain.satellite, exiting: chain.exiting, replacement: chain.replacement });
    rejected(verifyTransferProof(expected, otherPiece.message), /originalPieceId is not the piece that was asked for/);
  });

  it('a valid chain is only valid for the satellite, exiting node and replacement it names', () => {
    rejected(verifyTransferProof({ ...expected, satelliteId: Identity.generate().publicKey }, message), /from another satellite/);
    rejected(verifyTransferProof({ ...expected, replacementNodeId: Identity.generate().publicKey }, message), /not for the piece id derived for the replacement node/);
    rejected(verifyTransferProof({ ...expected, exitingNodeId: Identity.generate().publicKey }, message), /not the piece that was asked for/);
  });
});
