export { RpcServer, type RpcServerOptions } from './server.js';
export { RpcClient, type RpcClientOptions, type CallOptions } from './client.js';
export { ClientStream } from './client-stream.js';
export { unaryMethod, streamMethod, type UnaryMethod, type StreamMethod, type Method } from './method.js';
export type { CallContext, ServerStream, UnaryHandler, StreamHandler } from './context.js';
export { HANDSHAKE_VERSION } from './handshake.js';
