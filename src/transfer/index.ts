/**
 * `handoff/transfer`: moving folders from one storage provider to another as a background task
 * (seed 004) — the core that authorizes and tracks tasks, the integration module each provider
 * runs, the rsync-over-SSH plugin and the per-task key exchange.
 */
export * from './types.js';
export * from './lifecycle.js';
export * from './plugin.js';
export * from './core/index.js';
export * from './store/index.js';
export * from './integration/index.js';
export * from './rsync/index.js';
export * from './keys/index.js';
export * from './rpc/index.js';
export * from './session/index.js';
export { builtinPlugin, BuiltinPlugin, BUILTIN_PLUGIN_TYPE, builtinReceiver, BuiltinReceiver, type BuiltinPluginOptions, type BuiltinReceiverOptions } from './builtin/index.js';
