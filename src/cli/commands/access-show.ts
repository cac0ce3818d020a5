/** `handoff access show`: what an access holds, its secrets hidden unless asked. */
import { toHex } from '../../core/bytes.js';
import { apiKeyId } from '../../projects/api-key.js';
import { decodeRestrictedApiKey, isRestrictedApiKey } from '../../projects/restricted-key.js';
import { describeRestrictions, encodeAccess } from '../access/grant.js';
import { AccessStore } from '../access/store.js';
import { defineCommand } from '../command.js';

export const accessShow = defineCommand<{ secrets: boolean; json: boolean }>({
  path: ['access', 'show'],
  summary: 'what an access holds: satellite, API key id, restrictions (secrets only with --secrets)',
  define: (cmd) =>
    cmd
      .argument('[name]', 'a saved access (default: the default one)')
      .option('--secrets', 'also print the API key and the exported access string', false)
      .option('--json', 'print it as JSON', false),
  async run({ args: [name], options }, { io, configDir }) {
    const resolved = new AccessStore(configDir).resolve(name);
    const { access } = resolved;
    const restrictedKey = isRestrictedApiKey(access.apiKey) ? decodeRestrictedApiKey(access.apiKey) : undefined;
    const view = {
      name: resolved.name,
      satellite: access.satellite,
      // A restricted key is named by the key it was restricted from: revoking that one ends it.
      apiKeyId: restrictedKey ? toHex(restrictedKey.keyHash) : apiKeyId(access.apiKey),
      apiKeyCaveats: restrictedKey?.caveats.length ?? 0,
      restrictions: access.restrictions,
      restrictionsEnforcedBy: restrictedKey ? 'the satellite' : 'this client',
      ...(options.secrets ? { apiKey: access.apiKey, access: encodeAccess(access) } : {}),
    };
    if (options.json) {
      io.out(JSON.stringify(view));
      return 0;
    }
    io.out(`access        ${view.name}`);
    io.out(`satellite     ${view.satellite}`);
    io.out(`API key id    ${view.apiKeyId}${restrictedKey ? ` (restricted from it by ${view.apiKeyCaveats} caveat${view.apiKeyCaveats === 1 ? '' : 's'})` : ''}${options.secrets ? '' : ' (the key itself: --secrets)'}`);
    const unenforced = !restrictedKey && Object.keys(access.restrictions).length > 0;
    io.out(`restrictions  ${describeRestrictions(access.restrictions)}${restrictedKey ? ' — enforced by the satellite' : unenforced ? ' — checked by handoff only (export it again to put them in the API key)' : ''}`);
    if (options.secrets) {
      io.out(`API key       ${access.apiKey}`);
      io.out(`exported      ${view.access}`);
    }
    return 0;
  },
});
