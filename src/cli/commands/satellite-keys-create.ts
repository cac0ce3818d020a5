/** `handoff satellite keys create`: another API key for a project. */
import { toHex } from '../../core/bytes.js';
import { defineCommand } from '../command.js';
import { adminCall, reachSatellite } from './reach.js';
import { satelliteIdentity, satelliteIdentityOptions } from './satellite-exits.js';
import { projectOf } from './satellite-project.js';

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
