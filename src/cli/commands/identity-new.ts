/** `handoff identity new`: make the Ed25519 key a node or satellite is. */
import { existsSync } from 'node:fs';
import { Identity } from '../../crypto/identity.js';
import { defineCommand } from '../command.js';
import { CommandError } from './reach.js';

export const identityNew = defineCommand<{ force: boolean; json: boolean }>({
  path: ['identity', 'new'],
  summary: 'make an identity (PKCS#8 PEM, 0600) and print its node id',
  define: (cmd) => cmd.argument('<file>', 'where to write it').option('--force', 'replace an identity already in <file> (the old one is lost)', false).option('--json', 'print { nodeId, file }', false),
  details: 'Back the file up: it is who the node or satellite is on the network.',
  async run({ args: [file], options }, { io }) {
    if (existsSync(file!) && !options.force) throw new CommandError(`${file} already exists; keep it, or pass --force to replace it (the node id it holds is then lost)`);
    const identity = Identity.generate();
    await identity.save(file!, { overwrite: options.force });
    io.out(options.json ? JSON.stringify({ nodeId: identity.id.toString(), file }) : identity.id.toString());
    return 0;
  },
});
