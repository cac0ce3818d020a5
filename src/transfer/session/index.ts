/** Client sessions for the key exchange, and the user's client of the transfer network. */
export {
  DEFAULT_SESSION_LIFETIME_MS,
  SESSION_GRANT_TAG,
  grantFromWire,
  grantToWire,
  sessionGrantSchema,
  sessionRole,
  signSessionGrant,
  verifySessionGrant,
  type SessionExpectation,
  type SessionGrant,
  type SessionGrantFields,
  type SessionRole,
  type WireSessionGrant,
} from './grant.js';
export { ProviderSession, type ProviderSessionOptions, type SessionOffer } from './provider-session.js';
export { TransferClient, type KeyExchange, type TransferClientOptions } from './transfer-client.js';
