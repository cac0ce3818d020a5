/** `handoff satellite projects list`: the projects of a running satellite. */
import { toHex } from '../../core/bytes.js';
import { defineCommand } from '../command.js';
import { formatTime, table } from '../format.js';
import { adminCall, reachSatellite } from './reach.js';
import { satelliteIdentity, satelliteIdentityOptions } from './satellite-exits.js';

export const satelliteProjectsList = defineCommand<{ dir?: string; identity?: string; json: boolean }>({
  path: ['satellite', 'projects', 'list'],
  summary: 'the projects of a running satellite',
  define: (cmd) => satelliteIdentityOptions(cmd).option('--json', 'print { projects: [{ id, name, createdAt }] }', false),
  async run({ options }, { io }) {
    const admin = await reachSatellite(satelliteIdentity(options));
    try {
      const projects = await adminCall('the satellite', () => admin.projects());
      if (options.json) io.out(JSON.stringify({ projects: projects.map((p) => ({ id: toHex(p.id), name: p.name, createdAt: new Date(p.createdAt).toISOString() })) }));
      else if (projects.length === 0) io.out('no project yet (handoff satellite projects create NAME makes one)');
      else for (const line of table([['id', 'name', 'created'], ...projects.map((p) => [toHex(p.id), p.name, formatTime(p.createdAt)])])) io.out(line);
      return 0;
    } finally {
      await admin.close();
    }
  },
});
