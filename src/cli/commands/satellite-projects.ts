/** `handoff satellite projects list|create`: the projects of a running satellite. */
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
