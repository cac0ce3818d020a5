/**
 * The browser's side of the WebSocket transport, under Node: the dialer goes through the platform
 * path (`webSocketClass`) with a socket that offers only what a browser's `WebSocket` does — no
 * pause, no terminate, no frame-header hook, no send callback — so frame limits are checked whole
 * and a sender is held back by polling `bufferedAmount`. The real browser runs in test/browser.
 */
import { WebSocket as NodeWebSocket } from 'ws';
import { transportSuite } from '../../src/testing/suites.js';
import { tcpTransport, webSocketTransport } from '../../src/transport/index.js';

/** What a browser's WebSocket lacks, hidden from the transport. */
const NOT_IN_BROWSERS = new Set<PropertyKey>(['pause', 'resume', 'terminate', '_receiver']);

/** A `ws` socket seen through a browser's API: the standard constructor and properties only. */
class BrowserLikeWebSocket {
  constructor(url: string) {
    const socket = new NodeWebSocket(url, { perMessageDeflate: false });
    return new Proxy(socket, {
      get(target, property) {
        if (NOT_IN_BROWSERS.has(property)) return undefined;
        const value: unknown = Reflect.get(target, property, target);
        if (property === 'send') return (data: Uint8Array) => target.send(data); // no callback in browsers
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set: (target, property, value) => Reflect.set(target, property, value, target),
    });
  }
}

transportSuite('websocket, dialed through the platform path', {
  async setup(limits) {
    return {
      listener: webSocketTransport(limits),
      dialer: webSocketTransport({ ...limits, webSocketClass: BrowserLikeWebSocket }),
      address: '127.0.0.1:0',
      unreachableAddress: '127.0.0.1:1',
    };
  },
});

transportSuite('tcp listener accepting websocket, dialed through the platform path', {
  async setup(limits) {
    return {
      listener: tcpTransport({ ...limits, acceptWebSocket: true }),
      dialer: webSocketTransport({ ...limits, webSocketClass: BrowserLikeWebSocket }),
      address: '127.0.0.1:0',
      unreachableAddress: '127.0.0.1:1',
    };
  },
});
