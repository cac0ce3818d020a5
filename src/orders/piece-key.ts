import { Identity } from '../crypto/identity.js';
import { getCryptoProvider } from '../crypto/select.js';

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
  // Straight from the provider: an `Identity` would copy both halves and build a node id the
  // caller never uses — one of these per segment upload, audit, repair and exit transfer.
  const provider = getCryptoProvider();
  const privateKey = provider.randomBytes(32);
  return { publicKey: provider.ed25519PublicKey(privateKey), privateKey };
}

/** A signer for a piece private key, for the uplink side. */
export function pieceSigner(privateKey: Uint8Array): Identity {
  return Identity.fromPrivateKey(privateKey);
}
