/**
 * The built-in transfer plugin: needs nothing outside the package. {@link builtinPlugin} on the
 * source provider pushes files over handoff's RPC with a per-task key; {@link builtinReceiver} on
 * the destination provider authorizes that key and serves the push.
 */
export { builtinPlugin, BuiltinPlugin, BUILTIN_PLUGIN_TYPE, type BuiltinPluginOptions } from './plugin.js';
export { builtinReceiver, BuiltinReceiver, type BuiltinReceiverOptions } from './receiver.js';
export { BuiltinPush, pushMessageSchema, pushReplySchema, CHUNK_BYTES, type PushMessage, type PushReply } from './methods.js';
export { classifyPushError } from './interruption.js';
export { formatTaskPublicKey, parseTaskPublicKey, BUILTIN_KEY_TYPE } from './task-key.js';
export { partialName, pathComponents } from './paths.js';
