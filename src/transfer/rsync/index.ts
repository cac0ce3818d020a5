/**
 * The rsync-over-SSH transfer plugin: {@link rsyncPlugin} on the source provider,
 * {@link rsyncReceiver} on the destination provider.
 */
export { rsyncPlugin, RsyncPlugin, RSYNC_PLUGIN_TYPE, type RsyncPluginOptions } from './plugin.js';
export { rsyncReceiver, RsyncReceiver, RSYNC_HOLDING_DIR, type RsyncReceiverOptions } from './receiver.js';
export { rsyncArguments, sshCommandLine, knownHostsLine, parseRsyncEndpoint, type RsyncEndpoint, type RsyncInvocation } from './args.js';
export { classifyRsyncExit, describe as describeRsyncExit, type RsyncExit } from './exit-codes.js';
export { parseProgress2Line, Progress2Reader, transferPercentage, type Progress2Sample } from './progress.js';
export { measureTree, type TreeSize } from './scan.js';
export { RsyncProcess, type RsyncRunEnd, type SpawnRsyncOptions } from './rsync-process.js';
export { groupMembers, signalGroup, stopGroup, waitForGroupGone, isLiveProcess } from './process-group.js';
