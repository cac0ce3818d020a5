/**
 * Waiting for a dialed WebSocket to open, with a timeout and an `AbortSignal`; shared by the `ws`
 * socket on Node and the platform one in browsers.
 */
import { raceAbort } from '../core/abort.js';
import { UnavailableError } from '../core/errors.js';
import type { WebSocketLike } from './websocket-connection.js';

const CLOSED = 3;

/**
 * Resolves when `socket` is open; rejects with `UnavailableError` when it fails or `timeoutMs`
 * passes, or with the signal's reason. A socket given up on is closed before this returns, so
 * nothing of an abandoned dial outlives the caller.
 */
export async function openWebSocket(socket: WebSocketLike, url: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`dial ${url}: timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.onopen = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.onerror = (event: unknown) => {
      clearTimeout(timer);
      // A browser's error event says nothing (on purpose); ws passes the cause.
      const message = (event as { message?: string }).message ?? 'connection failed';
      reject(new UnavailableError(`dial ${url}: ${message}`));
    };
  });
  try {
    await raceAbort(opened, signal);
  } catch (err) {
    clearTimeout(timer);
    if (socket.readyState !== CLOSED) {
      const closed = new Promise<void>((resolve) => (socket.onclose = () => resolve()));
      socket.close();
      await closed;
    }
    throw err;
  }
}
