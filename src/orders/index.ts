export * from './order-limit.js';
export * from './order.js';
export * from './piece-hash.js';
export * from './piece-id.js';
export * from './piece-key.js';
