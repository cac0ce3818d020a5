/** `handoff satellite projects create`: a new project on a running satellite, and its first API key. */
import { toHex } from '../../core/bytes.js';
import { defineCommand } from '../command.js';
import { adminCall, reachSatellite } from './reach.js';
import { satelliteIdentity, satelliteIdentityOptions } from './satellite-exits.js';

export const satelliteProjectsCreate = defineCommand<{ dir?: string; identity?: string; json: boolean }>({
  path: ['satellite', 'projects', 'create'],
  summary: 'make a project on a running satellite and print its first API key',
  define: (cmd) => satelliteIdentityOptions(cmd.argument('<name>', "the project's name")).option('--json', 'print { id, name, apiKey }', false),
  details: 'The API key is shown this once: the satellite keeps only its hash.',
  async run({ args: [name], options }, { io }) {
    const admin = await reachSatellite(satelliteIdentity(options));
    try {
      const { projectId, apiKey } = await adminCall('the satellite', () => admin.createProject(name!));
      io.out(options.json ? JSON.stringify({ id: toHex(projectId), name, apiKey }) : `project ${JSON.stringify(name)} (${toHex(projectId)}) created; its API key: ${apiKey}`);
      return 0;
    } finally {
      await admin.close();
    }
  },
});
