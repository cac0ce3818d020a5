/**
 * Which crypto provider the SDK uses. On Node it is node:crypto, loaded with
 * `process.getBuiltinModule('node:crypto')` (Node >= 20.16, so every Node handoff supports):
 * that call is synchronous, needs no top-level await, and is invisible to bundlers, so a browser
 * build never tries to resolve `node:crypto`. Everywhere else (browsers, workers, runtimes
 * without `getBuiltinModule`) it is the @noble provider; such a host can still opt in with
 * `setCryptoProvider(nodeCryptoProvider(await import('node:crypto')))`.
 */
import { builtinNodeCrypto, nodeCryptoProvider } from './node.js';
import { nobleCryptoProvider } from './noble.js';
import type { CryptoProvider } from './provider.js';

let current: CryptoProvider | undefined;

function detectCryptoProvider(): CryptoProvider {
  const nodeCrypto = builtinNodeCrypto();
  return nodeCrypto !== undefined ? nodeCryptoProvider(nodeCrypto) : nobleCryptoProvider();
}

/**
 * The provider every SDK function uses unless given one: the one set with
 * {@link setCryptoProvider}, otherwise node:crypto on Node and @noble elsewhere (chosen once).
 *
 * @example
 * ```ts
 * const digest = getCryptoProvider().sha256(bytes);
 * getCryptoProvider().name; // 'node' under Node, 'noble' in a browser
 * ```
 */
export function getCryptoProvider(): CryptoProvider {
  current ??= detectCryptoProvider();
  return current;
}

/**
 * Forces the provider the SDK uses from now on; `undefined` goes back to automatic choice.
 * Both shipped providers give identical results, so switching changes speed, never outcomes.
 *
 * @example
 * ```ts
 * setCryptoProvider(nobleCryptoProvider()); // test the browser path under Node
 * ```
 */
export function setCryptoProvider(provider: CryptoProvider | undefined): void {
  current = provider;
}
