/**
 * The browser edge of the WebSocket transport: the runtime's own `WebSocket` class (browsers,
 * workers, Deno, Bun), mapped onto {@link WebSocketLike}. No Node module and no `ws` here.
 */
import { UnavailableError } from '../core/errors.js';
import type { WebSocketLike } from './websocket-connection.js';

/** A standard (WHATWG) `WebSocket` constructor: the browser's, or one that behaves like it. */
export type PlatformWebSocketClass = new (url: string) => unknown;

/**
 * A new platform WebSocket to `url` (of `Platform`, default the runtime's), connecting. It has no
 * frame-header limit and no pause: frames are checked whole on arrival, and a sender waits for
 * `bufferedAmount` to drain.
 */
export function platformWebSocket(url: string, Platform = (globalThis as { WebSocket?: PlatformWebSocketClass }).WebSocket): WebSocketLike {
  if (typeof Platform !== 'function') throw new UnavailableError(`dial ${url}: this runtime has no WebSocket`);
  try {
    return new Platform(url) as WebSocketLike;
  } catch (err) {
    // The constructor throws a SyntaxError for a URL it will not dial.
    throw new UnavailableError(`dial ${url}: ${(err as Error).message}`, { cause: err });
  }
}
