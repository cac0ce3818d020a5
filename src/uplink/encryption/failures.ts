/**
 * The one error every decrypt path throws, so that a wrong passphrase, a wrong key and altered
 * data all look the same to a caller (and to an attacker probing which one it was). Private to
 * the encryption module.
 */
import { UnauthenticatedError } from '../../core/errors.js';

/** The message prefix every authentication failure starts with. */
export const CANNOT_DECRYPT = 'cannot decrypt: wrong passphrase or key';

/** `what` failed authentication: the key is wrong or the bytes were altered. */
export function cannotDecrypt(what: string, cause?: unknown): UnauthenticatedError {
  return new UnauthenticatedError(`${CANNOT_DECRYPT} (${what} failed authentication)`, cause === undefined ? {} : { cause });
}

/** `what` cannot even be parsed as something this module wrote: altered, truncated or foreign. */
export function malformedCiphertext(what: string, detail: string): UnauthenticatedError {
  return new UnauthenticatedError(`${CANNOT_DECRYPT} (${what} is malformed: ${detail})`);
}
