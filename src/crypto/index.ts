/** Identities, node ids, signatures and the crypto provider. */
export type { AeadAlgorithm, CryptoProvider, IncrementalHash } from './provider.js';
export { nodeCryptoProvider, type NodeCryptoModule } from './node.js';
export { nobleCryptoProvider } from './noble.js';
export { getCryptoProvider, setCryptoProvider } from './select.js';
export { NodeId } from './node-id.js';
export { Identity, verifySignature, type SaveIdentityOptions } from './identity.js';
export { isDomainTag, assertDomainTag, signingBytes, signStructure, verifyStructure, type Signer, DOMAIN_TAG_PATTERN } from './signing.js';
