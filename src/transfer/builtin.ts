/**
 * `handoff/transfer/builtin`: the built-in transfer plugin, which needs nothing outside the
 * package — {@link builtinPlugin} on the source provider pushes files over handoff's RPC with a
 * per-task key; {@link builtinReceiver} on the destination serves the push. Node only (it reads
 * and writes the provider's files), hence its own entry point.
 */
export { builtinPlugin, BuiltinPlugin, BUILTIN_PLUGIN_TYPE, type BuiltinPluginOptions } from './builtin/plugin.js';
export { builtinReceiver, BuiltinReceiver, type BuiltinReceiverOptions } from './builtin/receiver.js';
