import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import { verifyTransferProof, type ProofCheck, type SatelliteSigner } from '../../src/exit/proof.js';
import { verifyOrderLimitSignature, verifyOwnOrderLimitSignature, type OrderLimit } from '../../src/orders/order-limit.js';
import { buildChain, flipped, originalLimit } from './proof-chain.js';

function rejected(check: ProofCheck, detail: RegExp): void {
  expect(check.ok).toBe(false);
  if (!check.ok) expect(check.detail).toMatch(detail);
}

/**
 * The satellite checks its own limits by signing them again (Ed25519 is deterministic): these
 * prove the verdicts are the ones a full verification gives, forgeries included.
 */
describe('verifyTransferProof with the satellite\'s own signer', () => {
  const chain = buildChain();
  const expected = { ...chain.expected, satellite: chain.satellite };
  const { message } = chain;

  it('accepts the genuine chain', () => {
    expect(verifyTransferProof(expected, message)).toEqual({ ok: true, pieceSize: chain.pieceSize });
  });

  it('still catches a limit the exiting node signed in the satellite\'s name, an edited limit and a flipped signature', () => {
    rejected(verifyTransferProof(expected, { ...message, originalOrderLimit: originalLimit(chain, {}, chain.exiting) }), /not signed by this satellite/);
    rejected(verifyTransferProof(expected, { ...message, originalOrderLimit: { ...chain.limit, limitBytes: chain.limit.limitBytes + 1 } }), /not signed by this satellite/);
    rejected(verifyTransferProof(expected, { ...message, originalOrderLimit: { ...chain.limit, satelliteSignature: flipped(chain.limit.satelliteSignature, 40) } }), /not signed by this satellite/);
  });

  it('falls back to verification when the signer\'s bytes differ (random nonces): genuine limits pass, forgeries do not', () => {
    const randomized: SatelliteSigner = { publicKey: chain.satellite.publicKey, sign: (m) => flipped(chain.satellite.sign(m), 3) };
    const withRandomized = { ...expected, satellite: randomized };
    expect(verifyTransferProof(withRandomized, message)).toEqual({ ok: true, pieceSize: chain.pieceSize });
    rejected(verifyTransferProof(withRandomized, { ...message, originalOrderLimit: originalLimit(chain, {}, chain.exiting) }), /not signed by this satellite/);
    const broken: SatelliteSigner = { publicKey: chain.satellite.publicKey, sign: () => { throw new Error('key store offline'); } };
    expect(verifyTransferProof({ ...expected, satellite: broken }, message).ok).toBe(true);
  });

  it('a signer of another key than satelliteId is not trusted to vouch: the full verification decides', () => {
    const other = Identity.generate();
    // The limit is the other key's own, but names this satellite: re-signing with `other` would
    // reproduce its signature; the proof must not take that as this satellite's.
    const limit = originalLimit(chain, {}, other);
    rejected(verifyTransferProof({ ...expected, satellite: other }, { ...message, originalOrderLimit: limit }), /not signed by this satellite/);
    expect(verifyOwnOrderLimitSignature(limit, other)).toBe(false);
  });

  it('agrees with verifyOrderLimitSignature on any byte changed in the limit or its signature', () => {
    const fields = ['serialNumber', 'satelliteId', 'storageNodeId', 'pieceId', 'piecePublicKey', 'satelliteSignature'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat(63), fc.integer({ min: 1, max: 255 }), fc.boolean(), (field, at, xor, genuineSigner) => {
        const value = chain.limit[field];
        const changed = value.slice();
        changed[at % changed.length]! ^= xor;
        const limit: OrderLimit = { ...chain.limit, [field]: changed };
        const signer = genuineSigner ? chain.satellite : Identity.generate();
        expect(verifyOwnOrderLimitSignature(limit, signer)).toBe(verifyOrderLimitSignature(limit));
        expect(verifyOwnOrderLimitSignature(limit, signer)).toBe(false);
      }),
      { numRuns: 150 },
    );
    expect(verifyOwnOrderLimitSignature(chain.limit, chain.satellite)).toBe(true);
    expect(verifyOwnOrderLimitSignature({ ...chain.limit, satelliteSignature: new Uint8Array(63) }, chain.satellite)).toBe(false);
  });
});
