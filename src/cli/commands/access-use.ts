/** `handoff access use`: the access commands take without `--access`. */
import { AccessStore } from '../access/store.js';
import { defineCommand } from '../command.js';

export const accessUse = defineCommand<Record<string, never>>({
  path: ['access', 'use'],
  summary: 'make a saved access the default',
  define: (cmd) => cmd.argument('<name>', 'a saved access'),
  async run({ args: [name] }, { io, configDir }) {
    new AccessStore(configDir).use(name!);
    io.out(`access ${name} is the default now`);
    return 0;
  },
});
