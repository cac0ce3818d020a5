/** `handoff access show`: what an access holds, its secrets hidden unless asked. */
import { apiKeyId } from '../../projects/api-key.js';
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
    const view = {
      name: resolved.name,
      satellite: access.satellite,
      apiKeyId: apiKeyId(access.apiKey),
      restrictions: access.restrictions,
      restrictionsEnforcedBy: 'this client',
      ...(options.secrets ? { apiKey: access.apiKey, access: encodeAccess(access) } : {}),
    };
    if (options.json) {
      io.out(JSON.stringify(view));
      return 0;
    }
    io.out(`access        ${view.name}`);
    io.out(`satellite     ${view.satellite}`);
    io.out(`API key id    ${view.apiKeyId}${options.secrets ? '' : ' (the key itself: --secrets)'}`);
    io.out(`restrictions  ${describeRestrictions(access.restrictions)}${Object.keys(access.restrictions).length === 0 ? '' : ' — checked by handoff, not by the satellite'}`);
    if (options.secrets) {
      io.out(`API key       ${access.apiKey}`);
      io.out(`exported      ${view.access}`);
    }
    return 0;
  },
});
