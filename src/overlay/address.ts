/**
 * What a node may claim as its address at check-in: something the satellite and uplinks can
 * dial. The check is about form only; reachability is proven by dialing back.
 */
import { InvalidArgumentError } from '../core/errors.js';

// [scheme://]host:port[/path] — host a DNS name, IPv4 or bracketed IPv6; printable ASCII only.
const ADDRESS = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})(\/[\x21-\x7e]*)?$/;
const UNSPECIFIED = new Set(['0.0.0.0', '[::]', '[0:0:0:0:0:0:0:0]']);

/** Longest address a node may claim. */
export const MAX_NODE_ADDRESS_LENGTH = 256;

/**
 * Throws `InvalidArgumentError` unless `address` looks dialable: `host:port` (optionally with a
 * scheme and a path, as WebSocket addresses have), port 1–65535, and not an unspecified host
 * like `0.0.0.0`, which only means "every interface" to the node that listens on it.
 *
 * @example
 * ```ts
 * checkNodeAddress('node1.example.com:28967'); // ok
 * checkNodeAddress('0.0.0.0:28967');           // throws InvalidArgumentError
 * ```
 */
export function checkNodeAddress(address: string): void {
  if (typeof address !== 'string' || address.length === 0 || address.length > MAX_NODE_ADDRESS_LENGTH) {
    throw new InvalidArgumentError(`"address" expected 1 to ${MAX_NODE_ADDRESS_LENGTH} characters`);
  }
  const match = ADDRESS.exec(address);
  if (!match) throw new InvalidArgumentError(`"address" expected host:port, got ${JSON.stringify(address.slice(0, 80))}`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`"address" port expected 1 to 65535, got ${port}`);
  if (UNSPECIFIED.has(match[1]!)) throw new InvalidArgumentError(`"address" ${JSON.stringify(address)} names no host: advertise a reachable one`);
}
