/** `handoff satellite keys list|create|revoke`: the API keys of a running satellite's projects. */
import { toHex } from '../../core/bytes.js';
import type { SatelliteAdminClient } from '../../satellite/admin/index.js';
import { defineCommand } from '../command.js';
import { formatTime, table } from '../format.js';
import { adminCall, CommandError, reachSatellite } from './reach.js';
import { satelliteIdentity, satelliteIdentityOptions } from './satellite-exits.js';

/** The project a name or a hex id names; a name several projects share must be given by id. */
async function projectOf(admin: SatelliteAdminClient, given: string): Promise<{ id: Uint8Array; name: string }> {
  const projects = await adminCall('the satellite', () => admin.projects());
  const byId = projects.filter((p) => toHex(p.id) === given.toLowerCase());
  const byName = projects.filter((p) => p.name === given);
  const found = byId.length > 0 ? byId : byName;
  if (found.length === 0) throw new CommandError(`no project ${JSON.stringify(given)} on this satellite (handoff satellite projects list shows them)`);
  if (found.length > 1) throw new CommandError(`${found.length} projects are named ${JSON.stringify(given)}: give one by id (${found.map((p) => toHex(p.id)).join(', ')})`);
  return found[0]!;
}

export const satelliteKeysList = defineCommand<{ dir?: string; identity?: string; json: boolean }>({
  path: ['satellite', 'keys', 'list'],
  summary: "a project's API keys by id (the keys themselves are never stored), revoked ones too",
  define: (cmd) => satelliteIdentityOptions(cmd.argument('<project>', 'its name or id')).option('--json', 'print { project, keys: [{ keyId, createdAt, revokedAt }] }', false),
  async run({ args: [given], options }, { io }) {
    const admin = await reachSatellite(satelliteIdentity(options));
    try {
      const project = await projectOf(admin, given!);
      const keys = await adminCall('the satellite', () => admin.apiKeys(project.id));
      if (options.json) {
        io.out(JSON.stringify({ project: toHex(project.id), keys: keys.map((k) => ({ keyId: k.keyId, createdAt: new Date(k.createdAt).toISOString(), revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString() })) }));
      } else {
        for (const line of table([['key id', 'created', 'revoked'], ...keys.map((k) => [k.keyId, formatTime(k.createdAt), formatTime(k.revokedAt)])])) io.out(line);
      }
      return 0;
    } finally {
      await admin.close();
    }
  },
});

export const satelliteKeysCreate = defineCommand<{ dir?: string; identity?: string; json: boolean }>({
  path: ['satellite', 'keys', 'create'],
  summary: 'another API key for a project (shown this once)',
  define: (cmd) => satelliteIdentityOptions(cmd.argument('<project>', 'its name or id')).option('--json', 'print { project, apiKey }', false),
  async run({ args: [given], options }, { io }) {
    const admin = await reachSatellite(satelliteIdentity(options));
    try {
      const project = await projectOf(admin, given!);
      const apiKey = await adminCall('the satellite', () => admin.createApiKey(project.id));
      io.out(options.json ? JSON.stringify({ project: toHex(project.id), apiKey }) : `new API key for project ${JSON.stringify(project.name)}: ${apiKey}`);
      return 0;
    } finally {
      await admin.close();
    }
  },
});

export const satelliteKeysRevoke = defineCommand<{ dir?: string; identity?: string }>({
  path: ['satellite', 'keys', 'revoke'],
  summary: 'revoke an API key by its id (handoff satellite keys list, or access show): it stops working at once',
  define: (cmd) => satelliteIdentityOptions(cmd.argument('<key-id>', "the key's id: 64 hex digits")),
  async run({ args: [keyId], options }, { io }) {
    if (!/^[0-9a-f]{64}$/.test(keyId!)) throw new CommandError(`a key id is 64 hex digits (handoff satellite keys list PROJECT shows them), got ${JSON.stringify(keyId)}`);
    const admin = await reachSatellite(satelliteIdentity(options));
    try {
      const revoked = await adminCall('the satellite', () => admin.revokeApiKey(keyId!));
      if (!revoked) throw new CommandError(`no live API key ${keyId} (unknown, or revoked already)`);
      io.out(`API key ${keyId} revoked`);
      return 0;
    } finally {
      await admin.close();
    }
  },
});
