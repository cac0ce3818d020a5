/**
 * Waiting for a dialed WebSocket to open, with a timeout and an `AbortSignal`; shared by the `ws`
 * socket on Node and the platform one in browsers.
 */
import { raceAbort } from '../core/abort.js';
import { UnavailableError } from '../core/errors.js';
import { DEFAULT_WEBSOCKET_CLOSE_TIMEOUT_MS, type WebSocketLike } from './websocket-connection.js';

const CLOSED = 3;

/**
 * Resolves when `socket` is open; rejects with `UnavailableError` when it fails or `timeoutMs`
 * passes, or with the signal's reason. A socket given up on is closed before this returns, so
 * nothing of an abandoned dial outlives the caller — waiting at most `closeTimeoutMs` for its
 * `close` event, after which it is let go of (its handlers detached).
 */
export async function openWebSocket(
  socket: WebSocketLike,
  url: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  closeTimeoutMs = DEFAULT_WEBSOCKET_CLOSE_TIMEOUT_MS,
): Promise<void> {
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
      let late: ReturnType<typeof setTimeout> | undefined;
      const closed = new Promise<void>((resolve) => {
        socket.onclose = () => resolve();
        late = setTimeout(resolve, closeTimeoutMs);
      });
      socket.close();
      await closed;
      clearTimeout(late);
      socket.onopen = socket.onerror = socket.onclose = null;
    }
    throw err;
  }
}
