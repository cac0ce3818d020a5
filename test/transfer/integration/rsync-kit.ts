/** The rsync plugin as the shared plugin stories see it: rsync over a real sshd and rrsync. */
import { join } from 'node:path';
import { AuthorizedKeysFile } from '../../../src/transfer/keys/authorized-keys-file.js';
import { TransferKeyring } from '../../../src/transfer/keys/keyring.js';
import { rsyncPlugin } from '../../../src/transfer/rsync/plugin.js';
import { rsyncReceiver } from '../../../src/transfer/rsync/receiver.js';
import type { SshServer } from '../../../src/testing/sshd.js';
import type { PluginKit } from './world.js';

export function rsyncKit(sshd: SshServer): PluginKit & { readonly authorizedKeys: AuthorizedKeysFile } {
  const authorizedKeys = new AuthorizedKeysFile(sshd.authorizedKeysPath);
  return {
    name: 'rsync',
    authorizedKeys,
    async open(_dir, destinationRoot) {
      return {
        plugin: (keyDir, options) =>
          rsyncPlugin({
            stateDir: join(keyDir, 'state'),
            keyring: new TransferKeyring({ dir: keyDir }),
            ...(options.bandwidthLimitKiBps === undefined ? {} : { bandwidthLimitKiBps: options.bandwidthLimitKiBps }),
            stopGraceMs: 3000,
          }),
        receiver: rsyncReceiver({
          authorizedKeys,
          ssh: { host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostKey },
          resolveDestination: (p) => join(destinationRoot, p),
          sourceAddresses: () => ['127.0.0.1'],
          rrsync: sshd.rrsync,
        }),
        isKeyAuthorized: async (taskId) => (await authorizedKeys.find(taskId)) !== undefined,
        close: async () => undefined,
      };
    },
    isPartial: (path) => path.split('/').includes('.~tmp~'),
    partialPath: (copy, name) => join(copy, '.~tmp~', name),
    async interrupt(world, taskId) {
      process.kill(world.a.getTask(taskId)?.pid as number, 'SIGKILL');
    },
  };
}
