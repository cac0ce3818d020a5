/**
 * `handoff/transport`: the transports and the RPC layer on top of them. Browser-safe: TCP loads
 * node:net only when `tcpTransport()` is called, and the WebSocket client uses the platform's
 * `WebSocket` where there is one.
 */
export type { Connection, Listener, Transport, DialOptions, FrameLimits } from './types.js';
export { DEFAULT_MAX_FRAME_BYTES, DEFAULT_RECEIVE_HIGH_WATER } from './types.js';
export { FrameConnection } from './frame-connection.js';
export { memoryNetwork, MemoryNetwork, MemoryTransport, MemoryFaults, type MemoryTransportOptions, type MemoryTraffic } from './memory.js';
export { tcpTransport, type TcpTransportOptions, type TcpTlsOptions } from './tcp.js';
export { webSocketTransport, type WebSocketTransportOptions } from './websocket.js';
export {
  RpcServer, RpcClient, ClientStream, unaryMethod, streamMethod, HANDSHAKE_VERSION,
  type RpcServerOptions, type RpcClientOptions, type CallOptions, type UnaryMethod, type StreamMethod, type Method,
  type CallContext, type ServerStream, type UnaryHandler, type StreamHandler,
} from '../rpc/index.js';
