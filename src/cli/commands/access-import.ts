/** `handoff access import`: save an access exported elsewhere. */
import { readFileSync } from 'node:fs';
import { decodeAccess } from '../access/grant.js';
import { AccessStore } from '../access/store.js';
import { defineCommand } from '../command.js';
import { CommandError } from './reach.js';

export const accessImport = defineCommand<{ file?: string; force: boolean }>({
  path: ['access', 'import'],
  summary: 'save an access exported with handoff access export',
  define: (cmd) =>
    cmd
      .argument('<name>', 'what to call it here')
      .argument('[access]', 'the hfa1… string (default: read from --file or HANDOFF_ACCESS_IMPORT_ACCESS)')
      .option('--file <file>', 'read the string from this file (- for standard input)')
      .option('--force', 'replace an access of this name', false),
  async run({ args: [name, given], options }, { io, configDir, env }) {
    let text = given ?? env.HANDOFF_ACCESS_IMPORT_ACCESS;
    if (text === undefined && options.file !== undefined) {
      try {
        text = readFileSync(options.file === '-' ? 0 : options.file, 'utf8');
      } catch (err) {
        throw new CommandError(`cannot read ${options.file}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (text === undefined) throw new CommandError('give the access string, or --file <file>');
    const access = decodeAccess(text.trim());
    const { madeDefault } = new AccessStore(configDir).save(name!, access, options.force);
    io.out(`access ${name} saved (satellite ${access.satellite})${madeDefault ? ', the default' : ''}`);
    return 0;
  },
});
