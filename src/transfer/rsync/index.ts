/**
 * `handoff/transfer/rsync`: the rsync-over-SSH transfer plugin — {@link rsyncPlugin} on the
 * source provider, {@link rsyncReceiver} on the destination provider. Node only (it spawns
 * `rsync` and `ssh`), hence its own entry point.
 */
export { rsyncPlugin, RsyncPlugin, RSYNC_PLUGIN_TYPE, type RsyncPluginOptions } from './plugin.js';
export { rsyncReceiver, RsyncReceiver, RSYNC_HOLDING_DIR, type RsyncReceiverOptions } from './receiver.js';
export { classifyRsyncExit, describe as describeRsyncExit, type RsyncExit } from './exit-codes.js';
