/** `handoff access new`: derive a passphrase's key in a project once, and save it as an access. */
import { tcpTransport } from '../../transport/tcp.js';
import { Uplink } from '../../uplink/uplink.js';
import { required } from '../args.js';
import { explain } from '../access/open.js';
import { AccessError, checkSatelliteRef } from '../access/grant.js';
import { readPassphrase } from '../access/passphrase.js';
import { restrictionsOfKey } from '../access/restrict.js';
import { AccessStore } from '../access/store.js';
import { defineCommand } from '../command.js';

export const accessNew = defineCommand<{ satellite?: string; apiKey?: string; passphraseFile?: string; force: boolean }>({
  path: ['access', 'new'],
  summary: 'save an access: a satellite, an API key and the key derived from your passphrase',
  define: (cmd) =>
    cmd
      .usage('<name> --satellite <id>@<host:port> --api-key <key> [options]')
      .argument('<name>', 'what to call it (letters, digits, . _ -)')
      .option('--satellite <id@host:port>', 'the satellite, as handoff satellite run prints it (required)')
      .option('--api-key <key>', "the project's API key, hk1_…, or a restricted one, hk1r_… (required; HANDOFF_ACCESS_API_KEY keeps it out of ps)")
      .option('--passphrase-file <file>', 'read the passphrase from this file instead of asking (or set HANDOFF_PASSPHRASE)')
      .option('--force', 'replace an access of this name', false),
  details: `Asks for the passphrase without echoing it (twice), derives the project's root key from it
once (Argon2id, about a second) and saves satellite, API key and that key — never the passphrase —
in accesses.json in the handoff directory (mode 0600). The first access saved becomes the default.
The same passphrase gives the same key on any machine; a different one reads nothing written
under this one.`,
  async run({ args: [name], options }, { io, env, configDir }) {
    const satellite = checkSatelliteRef(required(options.satellite, 'satellite'));
    const apiKey = required(options.apiKey, 'api-key');
    const store = new AccessStore(configDir);
    // Refused before the passphrase is asked for, not after.
    if (!options.force && store.list().names.includes(name!)) throw new AccessError(`an access named ${JSON.stringify(name)} exists; pick another name or pass --force to replace it`);
    const passphrase = await readPassphrase({ passphraseFile: options.passphraseFile, env, io, confirm: true });
    let rootKey: Uint8Array;
    try {
      rootKey = await Uplink.deriveRootKey({ transport: tcpTransport(), satelliteAddress: satellite, apiKey, passphrase });
    } catch (err) {
      throw explain(err, { satellite });
    }
    let restrictions;
    try {
      restrictions = restrictionsOfKey(apiKey, rootKey);
    } catch (err) {
      rootKey.fill(0);
      throw err;
    }
    const { madeDefault } = store.save(name!, { satellite, apiKey, rootKey, restrictions }, options.force);
    rootKey.fill(0);
    io.out(`access ${name} saved in ${store.path}${madeDefault ? ' (the default: commands use it without --access)' : ` (use it with --access ${name}, or handoff access use ${name})`}`);
    return 0;
  },
});
