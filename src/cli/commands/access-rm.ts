/** `handoff access rm`: forget a saved access (the data and the API key stay). */
import { AccessStore } from '../access/store.js';
import { defineCommand } from '../command.js';

export const accessRm = defineCommand<Record<string, never>>({
  path: ['access', 'rm'],
  summary: 'forget a saved access (its API key stays valid: handoff satellite keys revoke ends it)',
  define: (cmd) => cmd.argument('<name>', 'a saved access'),
  async run({ args: [name] }, { io, configDir }) {
    new AccessStore(configDir).remove(name!);
    io.out(`access ${name} removed`);
    return 0;
  },
});
