/**
 * `handoff/transport`: the transports and the RPC layer on top of them.
 */
export type { Connection, Listener, Transport, DialOptions, FrameLimits } from './types.js';
export { DEFAULT_MAX_FRAME_BYTES, DEFAULT_RECEIVE_HIGH_WATER } from './types.js';
export { FrameConnection } from './frame-connection.js';
export { memoryNetwork, MemoryNetwork, MemoryTransport, MemoryFaults, type MemoryTransportOptions, type MemoryTraffic } from './memory.js';
export { tcpTransport, type TcpTransportOptions, type TcpTlsOptions } from './tcp.js';
export { webSocketTransport, type WebSocketTransportOptions } from './websocket.js';
export * from '../rpc/index.js';
