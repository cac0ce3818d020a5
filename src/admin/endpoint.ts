/**
 * An admin endpoint: an RPC server on loopback, apart from the party's public port, that serves
 * only the party's own identity (`ownerOnly`), with its address in a file beside the identity so
 * local commands find it. Both long-running parties (storage node, satellite) use it.
 */
import { isIP } from 'node:net';
import type { Identity } from '../crypto/identity.js';
import { InvalidArgumentError } from '../core/errors.js';
import { RpcServer } from '../rpc/server.js';
import { parseHostPort, tcpTransport } from '../transport/tcp.js';
import type { Listener, Transport } from '../transport/types.js';
import { writeAdminAddress } from './address-file.js';
import { ownerOnly, type OwnerOnlyRegistry } from './owner-only.js';

export interface AdminEndpointOptions {
  /** The party's identity: the endpoint proves it, and serves no other caller. */
  readonly identity: Identity;
  /** Where the address is written (see `adminAddressFile`); removed on close. */
  readonly addressFile: string;
  /** A loopback `host:port` (default `127.0.0.1:0`: a free port). */
  readonly address?: string;
  /** Default: TCP. */
  readonly transport?: Transport;
  /** Registers the party's admin methods. */
  readonly register: (admin: OwnerOnlyRegistry) => void;
  readonly onError?: (error: unknown, method: string) => void;
}

/**
 * @example
 * ```ts
 * const admin = await AdminEndpoint.start({ identity, addressFile: adminAddressFile('./node-1/identity.pem'), register: (r) => registerNodeAdmin(r, node, feed) });
 * // … `handoff node exit-status --dir ./node-1` finds and calls it …
 * await admin.close(); // the address file is gone
 * ```
 */
export class AdminEndpoint {
  readonly #server: RpcServer;
  readonly #listener: Listener;
  readonly #removeAddressFile: () => void;
  readonly #calls: CallCount;

  private constructor(server: RpcServer, listener: Listener, removeAddressFile: () => void, calls: CallCount) {
    this.#server = server;
    this.#listener = listener;
    this.#removeAddressFile = removeAddressFile;
    this.#calls = calls;
  }

  static async start(options: AdminEndpointOptions): Promise<AdminEndpoint> {
    const address = options.address ?? '127.0.0.1:0';
    const { host } = parseHostPort(address);
    if (!isLoopback(host)) throw new InvalidArgumentError(`an admin endpoint listens on loopback only, got ${JSON.stringify(address)}`);
    const server = new RpcServer({ identity: options.identity, ...(options.onError === undefined ? {} : { onError: options.onError }) });
    const calls = new CallCount();
    options.register(ownerOnly(server, options.identity.id, calls));
    const listener = await server.listen(options.transport ?? tcpTransport(), address);
    try {
      const remove = writeAdminAddress(options.addressFile, { address: listener.address, nodeId: options.identity.id.toString(), pid: process.pid, since: new Date().toISOString() });
      return new AdminEndpoint(server, listener, remove, calls);
    } catch (err) {
      await server.close();
      throw err;
    }
  }

  /**
   * Resolves once no call is running, or after `timeoutMs`. A party that stops by itself (a node
   * that exited every satellite) lets a watcher receive the last status before it closes.
   */
  idle(timeoutMs: number): Promise<void> {
    return this.#calls.idle(timeoutMs);
  }

  /** Where it listens. */
  get address(): string {
    return this.#listener.address;
  }

  /** Removes the address file first (no command dials a closing endpoint), then ends every call. */
  async close(): Promise<void> {
    this.#removeAddressFile();
    await this.#server.close();
  }
}

/** Calls running now, and who waits for none to be. */
class CallCount {
  #running = 0;
  readonly #waiters = new Set<() => void>();

  begin(): void {
    this.#running++;
  }

  end(): void {
    this.#running--;
    if (this.#running === 0) for (const wake of this.#waiters) wake();
  }

  idle(timeoutMs: number): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

