/** `handoff access list`: the saved accesses, the default marked. */
import { AccessStore } from '../access/store.js';
import { describeRestrictions } from '../access/grant.js';
import { defineCommand } from '../command.js';
import { table } from '../format.js';

export const accessList = defineCommand<{ json: boolean }>({
  path: ['access', 'list'],
  summary: 'the saved accesses (the default marked with *)',
  define: (cmd) => cmd.option('--json', 'print { default, accesses: [{ name, satellite, restrictions }] }', false),
  async run({ options }, { io, configDir }) {
    const store = new AccessStore(configDir);
    const { names, defaultName } = store.list();
    const rows = names.map((name) => ({ name, access: store.get(name) }));
    if (options.json) {
      io.out(JSON.stringify({ default: defaultName, accesses: rows.map(({ name, access }) => ({ name, satellite: access.satellite, restrictions: access.restrictions })) }));
      return 0;
    }
    if (rows.length === 0) {
      io.out('no access saved (handoff access new NAME --satellite <id>@<host:port> --api-key KEY makes one)');
      return 0;
    }
    for (const line of table([['', 'name', 'satellite', 'restrictions'], ...rows.map(({ name, access }) => [name === defaultName ? '*' : '', name, access.satellite, describeRestrictions(access.restrictions)])])) io.out(line);
    return 0;
  },
});
