/** Finding a project of a running satellite by what the operator typed: its name or its id. */
import { toHex } from '../../core/bytes.js';
import type { SatelliteAdminClient } from '../../satellite/admin/index.js';
import { adminCall, CommandError } from './reach.js';

/** The project a name or a hex id names; a name several projects share must be given by id. */
export async function projectOf(admin: SatelliteAdminClient, given: string): Promise<{ id: Uint8Array; name: string }> {
  const projects = await adminCall('the satellite', () => admin.projects());
  const byId = projects.filter((p) => toHex(p.id) === given.toLowerCase());
  const byName = projects.filter((p) => p.name === given);
  const found = byId.length > 0 ? byId : byName;
  if (found.length === 0) throw new CommandError(`no project ${JSON.stringify(given)} on this satellite (handoff satellite projects list shows them)`);
  if (found.length > 1) throw new CommandError(`${found.length} projects are named ${JSON.stringify(given)}: give one by id (${found.map((p) => toHex(p.id)).join(', ')})`);
  return found[0]!;
}
