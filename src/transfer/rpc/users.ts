/**
 * Users of the core on the network. A user's client proves its key in the handshake; the host
 * says which user that key belongs to (its own accounts, tokens bound to keys, ...).
 * {@link InMemoryUserDirectory} is the default for embedding and tests.
 */
import type { NodeId } from '../../crypto/node-id.js';
import type { UserId } from '../types.js';

/** Maps an authenticated client key to the user it acts for. */
export interface UserDirectory {
  /** The user `nodeId` acts for, or undefined when the key belongs to nobody. */
  resolveUser(nodeId: NodeId): UserId | undefined | Promise<UserId | undefined>;
}

/**
 * Users by key, in memory. A user may have several keys (several devices); a key acts for one user.
 *
 * @example
 * ```ts
 * const users = new InMemoryUserDirectory().add(aliceLaptop.id, 'alice');
 * registerTransferCoreService(server, core, { providers, users });
 * ```
 */
export class InMemoryUserDirectory implements UserDirectory {
  readonly #users = new Map<string, UserId>();

  add(nodeId: NodeId, user: UserId): this {
    this.#users.set(nodeId.toString(), user);
    return this;
  }

  remove(nodeId: NodeId): this {
    this.#users.delete(nodeId.toString());
    return this;
  }

  resolveUser(nodeId: NodeId): UserId | undefined {
    return this.#users.get(nodeId.toString());
  }
}
