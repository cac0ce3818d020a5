import { raceAbort, throwIfAborted } from '../core/abort.js';
import { InvalidArgumentError, UnavailableError } from '../core/errors.js';
import { MemoryConnection, type Link } from './memory-connection.js';
import { MemoryFaults, pairKey } from './memory-faults.js';
import type { Connection, DialOptions, FrameLimits, Listener, Transport } from './types.js';

export { MemoryFaults } from './memory-faults.js';
export { MemoryConnection } from './memory-connection.js';

/**
 * An in-process network for tests and embedding. Every endpoint is a plain string address.
 * Faults a test can drive: added latency, a connection dropped after N frames, partitions
 * between two hosts, and killed listeners (as if the process died).
 *
 * @example
 * ```ts
 * const net = memoryNetwork();
 * const satellite = net.transport({ host: 'satellite' });
 * const node = net.transport({ host: 'node-1' });
 * net.faults.partition('satellite', 'node-1'); // dials between them now fail
 * ```
 */
export function memoryNetwork(options: FrameLimits = {}): MemoryNetwork {
  return new MemoryNetwork(options);
}

/**
 * @example
 * ```ts
 * const transport = memoryNetwork().transport({ host: 'node-1', maxFrameBytes: 1 << 20 });
 * ```
 */
export interface MemoryTransportOptions extends FrameLimits {
  /** The host this endpoint is, for partitions; defaults to the first address it listens on. */
  host?: string;
}

/**
 * Counters a test can read, per listening address.
 *
 * @example
 * ```ts
 * const { connections, frames, bytes } = net.traffic(node.address);
 * ```
 */
export interface MemoryTraffic {
  connections: number;
  frames: number;
  bytes: number;
}

interface MemoryListener {
  address: string;
  host: string;
  onConnection: (connection: Connection) => void;
  connections: Set<MemoryConnection>;
  transport: MemoryTransport;
}

/** See {@link memoryNetwork}. It is itself a {@link Transport} for an anonymous host. */
export class MemoryNetwork implements Transport {
  readonly name = 'memory';
  readonly faults: MemoryFaults = new MemoryFaults(this);
  readonly #listeners = new Map<string, MemoryListener>();
  readonly #traffic = new Map<string, MemoryTraffic>();
  readonly #limits: FrameLimits;
  #nextPort = 1;
  #default: MemoryTransport | undefined;

  constructor(limits: FrameLimits = {}) {
    this.#limits = limits;
  }

  /** A transport endpoint on this network. */
  transport(options: MemoryTransportOptions = {}): MemoryTransport {
    return new MemoryTransport(this, { ...this.#limits, ...options });
  }

  listen(address: string, onConnection: (connection: Connection) => void): Promise<Listener> {
    this.#default ??= this.transport();
    return this.#default.listen(address, onConnection);
  }

  dial(address: string, options?: DialOptions): Promise<Connection> {
    this.#default ??= this.transport();
    return this.#default.dial(address, options);
  }

  /** Connections, frames and bytes that reached the listener at `address` so far. */
  traffic(address: string): MemoryTraffic {
    return { ...(this.#traffic.get(address) ?? { connections: 0, frames: 0, bytes: 0 }) };
  }

  /** @internal */
  register(listener: MemoryListener): string {
    let address = listener.address;
    if (address === '' || address.endsWith(':0')) address = `${address.replace(/:0$/, '') || 'memory'}:${this.#nextPort++}`;
    if (this.#listeners.has(address)) throw new InvalidArgumentError(`address ${address} is already in use`);
    listener.address = address;
    this.#listeners.set(address, listener);
    return address;
  }

  /** @internal */
  unregister(address: string): void {
    this.#listeners.delete(address);
  }

  /** @internal */
  connect(from: MemoryTransport, address: string, fromLimits: FrameLimits): MemoryConnection {
    const listener = this.#listeners.get(address);
    if (!listener) throw new UnavailableError(`nothing listens at ${address}`);
    const fromHost = from.host ?? `client-${this.#nextPort++}`;
    if (this.faults.isPartitioned(fromHost, listener.host)) {
      throw new UnavailableError(`${fromHost} cannot reach ${address}: network partition`);
    }
    const traffic = this.#trafficOf(address);
    traffic.connections++;
    const link: Link = { net: this, address, fromHost, toHost: listener.host, frames: 0, dropAfter: this.faults.dropAfter.get(address), traffic };
    const dialer = new MemoryConnection(link, address, fromHost, fromLimits, false);
    const accepted = new MemoryConnection(link, fromHost, address, listener.transport.limits, true);
    dialer.peer = accepted;
    accepted.peer = dialer;
    listener.connections.add(accepted);
    void accepted.done.then(() => listener.connections.delete(accepted));
    listener.onConnection(accepted);
    return dialer;
  }

  /** @internal */
  resetBetween(a: string, b: string): void {
    for (const listener of this.#listeners.values()) {
      for (const connection of listener.connections) {
        const link = connection.link;
        if (pairKey(link.fromHost, link.toHost) === pairKey(a, b)) {
          connection.breakLink(new UnavailableError(`network partition between ${a} and ${b}`));
        }
      }
    }
  }

  /** @internal */
  kill(address: string): void {
    const listener = this.#listeners.get(address);
    if (!listener) return;
    this.#listeners.delete(address);
    for (const connection of listener.connections) connection.breakLink(new UnavailableError(`${address} was killed`));
  }

  #trafficOf(address: string): MemoryTraffic {
    let traffic = this.#traffic.get(address);
    if (!traffic) this.#traffic.set(address, (traffic = { connections: 0, frames: 0, bytes: 0 }));
    return traffic;
  }
}

/**
 * One endpoint of a {@link MemoryNetwork}: a host that listens and dials.
 *
 * @example
 * ```ts
 * const server = net.transport({ host: 'server' });
 * const listener = await server.listen('server:1', (connection) => void serve(connection));
 * const connection = await net.transport({ host: 'client' }).dial(listener.address);
 * ```
 */
export class MemoryTransport implements Transport {
  readonly name = 'memory';
  host: string | undefined;
  readonly limits: FrameLimits;
  readonly #net: MemoryNetwork;

  constructor(net: MemoryNetwork, options: MemoryTransportOptions) {
    this.#net = net;
    this.host = options.host;
    this.limits = options;
  }

  async listen(address: string, onConnection: (connection: Connection) => void): Promise<Listener> {
    const entry: MemoryListener = { address, host: '', onConnection, connections: new Set(), transport: this };
    const bound = this.#net.register(entry);
    this.host ??= bound;
    entry.host = this.host;
    const net = this.#net;
    return {
      address: bound,
      async close() {
        net.unregister(bound);
        for (const connection of entry.connections) connection.reset(new UnavailableError('listener closed'));
      },
    };
  }

  async dial(address: string, options: DialOptions = {}): Promise<Connection> {
    throwIfAborted(options.signal);
    // A dial is asynchronous on every real transport; keep that true here so ordering bugs show.
    await raceAbort(Promise.resolve(), options.signal);
    return this.#net.connect(this, address, this.limits);
  }
}
