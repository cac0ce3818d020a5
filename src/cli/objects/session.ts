/** What every object command does around its work: open the access, watch Ctrl-C, close everything. */
import type { CommandContext } from '../command.js';
import { explain, openAccess, type OpenedAccess } from '../access/open.js';
import { CommandError } from '../commands/reach.js';

/** Exit status of a command the operator interrupted (as shells report SIGINT). */
export const INTERRUPTED = 130;

/** The work was interrupted with Ctrl-C or SIGTERM; `main` prints `message` and exits with 130. */
export class Interrupted extends CommandError {}

/**
 * Opens the access, runs `work` with it and a signal that Ctrl-C aborts, and closes the uplink
 * however `work` ends. Uplink errors come out as one line naming `what` when given.
 */
export async function withAccess<T>(given: string | undefined, context: CommandContext, work: (opened: OpenedAccess, signal: AbortSignal) => Promise<T>): Promise<T> {
  const opened = await openAccess(given, context);
  const abort = new AbortController();
  const stop = context.stop();
  void stop.requested.then(() => abort.abort());
  try {
    return await work(opened, abort.signal);
  } catch (err) {
    if (abort.signal.aborted) throw new Interrupted('cancelled', { cause: err });
    throw explain(err, { satellite: opened.access.satellite });
  } finally {
    stop.dispose();
    await opened.uplink.close();
  }
}
