/** Reaching a running party's admin endpoint from a command, with failures in an operator's words. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AdminEndpointError, adminAddressFile } from '../../admin/address-file.js';
import { isHandoffError } from '../../core/errors.js';
import { Identity } from '../../crypto/identity.js';
import { NodeAdminClient } from '../../node/admin/client.js';
import { SatelliteAdminClient } from '../../satellite/admin/index.js';

/** A failure the CLI prints as one line with status 1 (not a usage error). */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** The identity file of a node's data directory (as `node run` creates it). */
export function nodeIdentityPath(dir: string): string {
  return join(dir, 'identity.pem');
}

/** The admin client of the node running on `dir`, authenticated with the node's own identity. */
export async function reachNode(dir: string): Promise<{ admin: NodeAdminClient; identity: Identity }> {
  const identityPath = nodeIdentityPath(dir);
  if (!existsSync(identityPath)) throw new CommandError(`${dir} is not a storage node's data directory (no ${identityPath}; handoff node run --dir ${dir} makes one)`);
  const identity = await Identity.load(identityPath);
  try {
    return { admin: NodeAdminClient.connect({ identity, addressFile: adminAddressFile(identityPath), what: `the storage node in ${dir}` }), identity };
  } catch (err) {
    if (err instanceof AdminEndpointError) throw new CommandError(`${err.message}; start it with handoff node run --dir ${dir}`, { cause: err });
    throw err;
  }
}

/** The admin client of the satellite whose identity is at `identityPath`. */
export async function reachSatellite(identityPath: string): Promise<SatelliteAdminClient> {
  if (!existsSync(identityPath)) throw new CommandError(`no satellite identity at ${identityPath} (pass --identity, as given to handoff satellite run)`);
  const identity = await Identity.load(identityPath);
  try {
    return SatelliteAdminClient.connect({ identity, addressFile: adminAddressFile(identityPath), what: `the satellite of ${identityPath}` });
  } catch (err) {
    if (err instanceof AdminEndpointError) throw new CommandError(`${err.message}; start it with handoff satellite run --identity ${identityPath}`, { cause: err });
    throw err;
  }
}

/** Runs an admin call; a party that stopped answering is named plainly instead of as a dial error. */
export async function adminCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isHandoffError(err, 'Unavailable')) throw new CommandError(`cannot reach ${what} (${err.message}); is it running?`, { cause: err });
    throw err;
  }
}
