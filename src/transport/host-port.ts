/** `host:port` addresses as the TCP and WebSocket transports read and print them. */
import { UnavailableError } from '../core/errors.js';

/**
 * The host and port of `host:port`, `[v6]:port` or `tcp://host:port`; `UnavailableError` (what a
 * failed dial throws) for anything else.
 */
export function parseHostPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*)\]?:(\d{1,5})$/.exec(address.replace(/^tcp:\/\//, ''));
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new UnavailableError(`invalid address ${JSON.stringify(address)}: expected host:port`);
  return { host: match[1]!, port };
}

/** `host:port`, with an IPv6 host in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
