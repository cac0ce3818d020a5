/** `handoff satellite keys list`: a project's API keys, by id. */
import { toHex } from '../../core/bytes.js';
import { defineCommand } from '../command.js';
import { formatTime, table } from '../format.js';
import { adminCall, reachSatellite } from './reach.js';
import { satelliteIdentity, satelliteIdentityOptions } from './satellite-exits.js';
import { projectOf } from './satellite-project.js';

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
