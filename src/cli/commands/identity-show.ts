/** `handoff identity show`: the node id an identity file holds. */
import { existsSync } from 'node:fs';
import { Identity } from '../../crypto/identity.js';
import { defineCommand } from '../command.js';
import { CommandError } from './reach.js';

export const identityShow = defineCommand<{ json: boolean }>({
  path: ['identity', 'show'],
  summary: 'print the node id of an identity file',
  define: (cmd) => cmd.argument('<file>', 'an identity file').option('--json', 'print { nodeId, file }', false),
  async run({ args: [file], options }, { io }) {
    if (!existsSync(file!)) throw new CommandError(`no identity at ${file} (handoff identity new ${file} makes one)`);
    const identity = await Identity.load(file!);
    io.out(options.json ? JSON.stringify({ nodeId: identity.id.toString(), file }) : identity.id.toString());
    return 0;
  },
});
