/**
 * The node operator's exit page (the web console's `node.html`) served for a running admin
 * endpoint: files only, as for the transfer core. The page dials the endpoint itself over
 * WebSocket and proves the node's own key, so it can do nothing `handoff node exit-satellite`
 * could not (docs/console.md).
 */
import { consoleAssetsDir } from '../../console/assets.js';
import { serveConsole, type ConsoleServer } from '../../console/server.js';
import { FailedPreconditionError } from '../../core/errors.js';

/** Options of {@link serveNodeConsole}. */
export interface NodeConsoleOptions {
  /** `host:port` the page is served on. */
  readonly address: string;
  /** The node's id: the page's client refuses any other endpoint. */
  readonly nodeId: string;
  /** The admin endpoint's `host:port`; it must take WebSocket clients (`tcpTransport({ acceptWebSocket: true })`). */
  readonly adminAddress: string;
  /** The built console (default: the package's `dist/console`). */
  readonly assetsDir?: string;
}

/** Serves the exit page; `url` is the page's own address (`…/node.html`). */
export async function serveNodeConsole(options: NodeConsoleOptions): Promise<ConsoleServer> {
  const assetsDir = options.assetsDir ?? consoleAssetsDir();
  if (assetsDir === undefined) throw new FailedPreconditionError('the web console is not built into this package (npm run build builds it)');
  // config.json's names are the transfer console's: here the "core" the page dials is the admin endpoint.
  const site = await serveConsole({ address: options.address, assetsDir, config: { coreId: options.nodeId, coreAddress: options.adminAddress } });
  return { url: `${site.url}node.html`, close: () => site.close() };
}
