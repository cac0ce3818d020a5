/**
 * `handoff/transfer/keys`: key exchange for provider-to-provider transfers (seed 004 "Exchange of
 * keys"): the source provider issues a per-task SSH key ({@link TransferKeyring}); the destination
 * authorizes it for that one transfer only ({@link AuthorizedKeysFile}) and revokes it when the
 * task ends. Node only (it runs `ssh-keygen` and writes key files), hence its own entry point.
 */
export { generateSshKeyPair, type GenerateKeyOptions, type SshKeyPair } from './keygen.js';
export { TransferKeyring, transferKeyComment, type TransferKeyringOptions } from './keyring.js';
export {
  DEFAULT_RRSYNC,
  formatAuthorizedKeyLine,
  formatExpiryTime,
  normalizeEd25519PublicKey,
  parseExpiryTime,
  parseTransferKeyLine,
  type TransferKeyAuthorization,
  type TransferKeyEntry,
} from './authorized-keys.js';
export { AuthorizedKeysFile } from './authorized-keys-file.js';
