import { Identity } from '../crypto/identity.js';

/**
 * A segment's piece key pair, made fresh by the satellite for each segment upload: the public
 * half goes into every order limit; the private half (32 bytes) goes to the uplink, which signs
 * piece hashes and orders with it.
 */
export interface PieceKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export function generatePieceKey(): PieceKeyPair {
  const identity = Identity.generate();
  return { publicKey: identity.publicKey, privateKey: identity.exportPrivateKey() };
}

/** A signer for a piece private key, for the uplink side. */
export function pieceSigner(privateKey: Uint8Array): Identity {
  return Identity.fromPrivateKey(privateKey);
}
