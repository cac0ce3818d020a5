/**
 * `handoff`: identities, node ids and signatures, the crypto provider, typed errors, the clock
 * and the codec — the primitives every other part stands on.
 */
export * from './core/errors.js';
export { abortReason, throwIfAborted, raceAbort, sleep } from './core/abort.js';
export { systemClock, ManualClock, type Clock, type TimerHandle } from './core/clock.js';
export { concatBytes, equalBytes, compareBytes, toHex, fromHex, toBase32, fromBase32, utf8, fromUtf8 } from './core/bytes.js';
export * from './crypto/index.js';
export * from './codec/index.js';
