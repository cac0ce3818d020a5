/** `handoff satellite keys revoke`: end an API key at once. */
import { defineCommand } from '../command.js';
import { adminCall, CommandError, reachSatellite } from './reach.js';
import { satelliteIdentity, satelliteIdentityOptions } from './satellite-exits.js';

export const satelliteKeysRevoke = defineCommand<{ dir?: string; identity?: string }>({
  path: ['satellite', 'keys', 'revoke'],
  summary: 'revoke an API key by its id (handoff satellite keys list, or access show): it stops working at once',
  define: (cmd) => satelliteIdentityOptions(cmd.argument('<key-id>', "the key's id: 64 hex digits")),
  async run({ args: [keyId], options }, { io }) {
    if (!/^[0-9a-f]{64}$/.test(keyId!)) throw new CommandError(`a key id is 64 hex digits (handoff satellite keys list PROJECT shows them), got ${JSON.stringify(keyId)}`);
    const admin = await reachSatellite(satelliteIdentity(options));
    try {
      const revoked = await adminCall('the satellite', () => admin.revokeApiKey(keyId!));
      if (!revoked) throw new CommandError(`no live API key ${keyId} (unknown, or revoked already)`);
      io.out(`API key ${keyId} revoked`);
      return 0;
    } finally {
      await admin.close();
    }
  },
});
