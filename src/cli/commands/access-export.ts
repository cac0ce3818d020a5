/** `handoff access export`: an access as one string, optionally restricted, to use elsewhere. */
import { parseDate } from '../args.js';
import { AccessError, type AccessRestrictions } from '../access/grant.js';
import { encodeAccess } from '../access/grant.js';
import { restrictAccess } from '../access/restrict.js';
import { AccessStore } from '../access/store.js';
import { defineCommand } from '../command.js';
import { parseObjectUrl } from '../objects/url.js';

interface Options {
  readOnly: boolean;
  only?: string;
  expires?: string;
  save?: string;
}

export const accessExport = defineCommand<Options>({
  path: ['access', 'export'],
  summary: 'print an access as one hfa1… string (optionally restricted) for access import elsewhere',
  define: (cmd) =>
    cmd
      .argument('[name]', 'a saved access (default: the default one)')
      .option('--read-only', 'the exported access reads only', false)
      .option('--only <hf://bucket[/prefix]>', 'the exported access reaches only this bucket, or keys under this prefix')
      .option('--expires <date>', 'the exported access stops working after this (2026-12-31 or ISO 8601)')
      .option('--save <name>', 'save the restricted access under this name instead of printing it'),
  details: `The string holds the satellite, the API key and the derived key: whoever has it reads and
(unless --read-only) writes everything the access does. Restrictions narrow an access (never widen
it) and are enforced by the satellite: they are caveats added to the API key here, without
contacting the satellite, and no one holding the string can remove them. Revoking the access's
API key (handoff satellite keys revoke) ends every access exported from it. The string still
carries the root key, so whoever has it could decrypt data outside the restriction if they got
the ciphertext some other way (docs/cli.md).`,
  async run({ args: [name], options }, { io, configDir }) {
    const store = new AccessStore(configDir);
    const { access } = store.resolve(name);
    const narrowed: AccessRestrictions = { ...access.restrictions };
    const r = narrowed as { -readonly [K in keyof AccessRestrictions]: AccessRestrictions[K] };
    if (options.readOnly) r.readOnly = true;
    if (options.only !== undefined) {
      const url = parseObjectUrl(options.only);
      if (access.restrictions.bucket !== undefined && access.restrictions.bucket !== url.bucket) throw new AccessError(`this access is restricted to bucket ${access.restrictions.bucket}`);
      if (access.restrictions.prefix !== undefined && !url.key.startsWith(access.restrictions.prefix)) throw new AccessError(`this access is restricted to hf://${access.restrictions.bucket}/${access.restrictions.prefix}`);
      r.bucket = url.bucket;
      if (url.key !== '') r.prefix = url.key;
    }
    if (options.expires !== undefined) {
      const at = parseDate(options.expires, 'expires');
      r.notAfter = access.restrictions.notAfter === undefined ? at : Math.min(at, access.restrictions.notAfter);
    }
    const restricted = restrictAccess(access, narrowed);
    if (options.save !== undefined) {
      store.save(options.save, restricted);
      io.out(`access ${options.save} saved`);
    } else {
      io.out(encodeAccess(restricted));
    }
    return 0;
  },
});
