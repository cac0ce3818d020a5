export * from './errors.js';
export * from './bytes.js';
export * from './clock.js';
export * from './abort.js';
