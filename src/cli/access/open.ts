/**
 * From `--access` to a connected `Uplink` — the same client a program uses — and from the
 * uplink's typed errors to one line an operator can act on.
 */
import { isHandoffError } from '../../core/errors.js';
import { tcpTransport } from '../../transport/tcp.js';
import { Uplink } from '../../uplink/uplink.js';
import type { CommandContext } from '../command.js';
import { CommandError } from '../commands/reach.js';
import { checkAllowed, type Access, type AccessUse } from './grant.js';
import { AccessStore } from './store.js';

/** An uplink opened for a command, with the access it came from. */
export interface OpenedAccess {
  readonly uplink: Uplink;
  readonly access: Access;
  readonly name: string;
  /** Throws `AccessError` unless the access's restrictions allow `use` now. */
  allow(use: AccessUse): void;
}

/** The `--access` option every command that reaches data takes. */
export const ACCESS_OPTION = ['--access <name>', 'a saved access (handoff access list), or an exported hfa1… string (default: the one handoff access use chose)'] as const;

/** The satellite's `host:port` in `<id>@<host:port>`. */
function addressOf(ref: string): string {
  return ref.slice(ref.indexOf('@') + 1);
}

/** Connects to the access's satellite; an unreachable one is a `CommandError` that says so. */
export async function openAccess(given: string | undefined, context: Pick<CommandContext, 'configDir' | 'log'>): Promise<OpenedAccess> {
  const { name, access } = new AccessStore(context.configDir).resolve(given);
  checkAllowed(access, { write: false }, Date.now());
  context.log.debug(`using access ${name} (satellite ${access.satellite})`);
  let uplink: Uplink;
  try {
    uplink = await Uplink.connect({ transport: tcpTransport(), satelliteAddress: access.satellite, apiKey: access.apiKey, rootKey: access.rootKey });
  } catch (err) {
    throw explain(err, { satellite: access.satellite });
  }
  return { uplink, access, name, allow: (use) => checkAllowed(access, use, Date.now()) };
}

/** What the operator should read for an uplink error (`what` names the object or bucket). */
export function explain(err: unknown, where: { satellite?: string; what?: string }): Error {
  if (!isHandoffError(err)) return err as Error;
  switch (err.code) {
    case 'Unavailable':
    case 'DeadlineExceeded':
      return new CommandError(`cannot reach the satellite${where.satellite === undefined ? '' : ` at ${addressOf(where.satellite)}`} (${err.message}); is it running, and is the address right?`, { cause: err });
    case 'PermissionDenied':
      // A valid key whose caveats refuse says why; only an unknown key suggests revocation.
      if (err.message !== 'invalid API key') return new CommandError(`${where.what === undefined ? '' : `${where.what}: `}the satellite refused: ${err.message} (this access is restricted: handoff access show)`, { cause: err });
      return new CommandError(`the satellite refused this access's API key (${err.message}); it may have been revoked: make a new access with a valid key`, { cause: err });
    case 'Unauthenticated':
      return new CommandError(`the satellite refused this access's API key (${err.message}); it may have been revoked: make a new access with a valid key`, { cause: err });
    case 'NotFound': {
      const bucket = /^bucket "(.*)" not found$/.exec(err.message)?.[1];
      const hint = bucket === undefined ? '' : ` (handoff ls lists the buckets; handoff mb hf://${bucket} makes it)`;
      return new CommandError(`${where.what === undefined ? '' : `${where.what}: `}${err.message}${hint}`, { cause: err });
    }
    default:
      return new CommandError(`${where.what === undefined ? '' : `${where.what}: `}${err.message}`, { cause: err });
  }
}
