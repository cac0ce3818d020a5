/**
 * The satellite's admin endpoint: what `handoff satellite exits` and `handoff satellite report
 * graceful-exit` call on a running satellite. Loopback only, for the satellite's own identity.
 */
import { AdminEndpoint } from '../../admin/endpoint.js';
import { adminClient, type AdminClientOptions } from '../../admin/client.js';
import type { OwnerOnlyRegistry } from '../../admin/owner-only.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { ExitProgressRow, ExitReportRow } from '../../exit/report.js';
import type { RpcClient } from '../../rpc/client.js';
import type { Infer } from '../../codec/index.js';
import type { AdminNode as AdminNodeSchema } from './methods.js';
import type { Satellite } from '../satellite.js';
import { auditScore } from '../../durability/reputation.js';
import {
  SatelliteAdminApiKeys,
  SatelliteAdminCreateApiKey,
  SatelliteAdminCreateProject,
  SatelliteAdminExitReport,
  SatelliteAdminExits,
  SatelliteAdminNodes,
  SatelliteAdminProjects,
  SatelliteAdminRevokeApiKey,
} from './methods.js';

/** Registers `SatelliteAdmin.*` for `satellite`. */
export function registerSatelliteAdmin(admin: OwnerOnlyRegistry, satellite: Pick<Satellite, 'exits' | 'store' | 'createProject'>): void {
  admin.unary(SatelliteAdminExits, async () => ({ exits: await satellite.exits.progress() }));
  admin.unary(SatelliteAdminExitReport, async ({ from, to }) => {
    if (to <= from) throw new InvalidArgumentError(`"to" must be after "from"`);
    return { rows: await satellite.exits.report({ from, to }) };
  });
  const projects = satellite.store.projects;
  admin.unary(SatelliteAdminProjects, async () => ({ projects: (await projects.listProjects()).map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt })) }));
  admin.unary(SatelliteAdminCreateProject, async ({ name }) => satellite.createProject(name));
  admin.unary(SatelliteAdminApiKeys, async ({ projectId }) => ({ keys: (await projects.listApiKeys(projectId)).map((k) => ({ keyId: k.keyId, createdAt: k.createdAt, revokedAt: k.revokedAt })) }));
  admin.unary(SatelliteAdminCreateApiKey, async ({ projectId }) => ({ apiKey: await projects.createApiKey(projectId) }));
  admin.unary(SatelliteAdminRevokeApiKey, async ({ keyId }) => ({ revoked: await projects.revokeApiKey(keyId) }));
  admin.unary(SatelliteAdminNodes, async ({ cursor, limit }) => {
    const nodes = await satellite.store.overlay.listNodes({ ...(cursor === undefined ? {} : { cursor }), limit });
    return {
      nodes: nodes.map((n) => ({
        id: n.id,
        address: n.address,
        wallet: n.wallet,
        version: n.version,
        freeBytes: Math.max(0, n.freeBytes),
        status: n.status,
        joinedAt: n.joinedAt,
        lastContactAt: n.lastContactAt,
        offlineSince: n.offlineSince,
        suspendedAt: n.suspendedAt,
        suspendedReason: n.suspendedReason,
        disqualifiedAt: n.disqualifiedAt,
        disqualifiedReason: n.disqualifiedReason,
        auditScore: Math.min(1, Math.max(0, auditScore(n))),
      })),
    };
  });
}

/** Options of {@link startSatelliteAdmin}: the satellite and where its admin address file goes. */
export interface SatelliteAdminOptions {
  readonly satellite: Satellite;
  /** Where its address is written (`adminAddressFile(identityPath)`); removed on close. */
  readonly addressFile: string;
  /** A loopback `host:port` (default `127.0.0.1:0`). */
  readonly address?: string;
  readonly onError?: (error: unknown, method: string) => void;
}

/**
 * Starts the satellite's admin endpoint.
 *
 * @example
 * ```ts
 * const admin = await startSatelliteAdmin({ satellite, addressFile: adminAddressFile('satellite-identity.pem') });
 * await admin.close();
 * ```
 */
export function startSatelliteAdmin(options: SatelliteAdminOptions): Promise<AdminEndpoint> {
  return AdminEndpoint.start({
    identity: options.satellite.identity,
    addressFile: options.addressFile,
    ...(options.address === undefined ? {} : { address: options.address }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    register: (admin) => registerSatelliteAdmin(admin, options.satellite),
  });
}

/**
 * The satellite's admin endpoint as local commands call it, authenticated as the satellite.
 *
 * @example
 * ```ts
 * const admin = SatelliteAdminClient.connect({ identity, addressFile: adminAddressFile('satellite-identity.pem'), what: 'the satellite' });
 * const rows = await admin.exitReport({ from: Date.parse('2026-11-01'), to: Date.parse('2026-12-01') });
 * ```
 */
export class SatelliteAdminClient {
  readonly #rpc: RpcClient;

  private constructor(rpc: RpcClient) {
    this.#rpc = rpc;
  }

  static connect(options: AdminClientOptions): SatelliteAdminClient {
    return new SatelliteAdminClient(adminClient(options));
  }

  async exits(): Promise<ExitProgressRow[]> {
    return (await this.#rpc.call(SatelliteAdminExits, {}, { timeoutMs: 60_000 })).exits;
  }

  async exitReport(window: { readonly from: number; readonly to: number }): Promise<ExitReportRow[]> {
    return (await this.#rpc.call(SatelliteAdminExitReport, window, { timeoutMs: 120_000 })).rows;
  }

  /** Every project, oldest first. */
  async projects(): Promise<Array<{ id: Uint8Array; name: string; createdAt: number }>> {
    return (await this.#rpc.call(SatelliteAdminProjects, {}, { timeoutMs: 60_000 })).projects;
  }

  /** A new project and its first API key (the only time the key is seen). */
  async createProject(name: string): Promise<{ projectId: Uint8Array; apiKey: string }> {
    return this.#rpc.call(SatelliteAdminCreateProject, { name }, { timeoutMs: 60_000 });
  }

  /** A project's API keys (revoked ones too), by id: never the keys themselves. */
  async apiKeys(projectId: Uint8Array): Promise<Array<{ keyId: string; createdAt: number; revokedAt: number | null }>> {
    return (await this.#rpc.call(SatelliteAdminApiKeys, { projectId }, { timeoutMs: 60_000 })).keys;
  }

  async createApiKey(projectId: Uint8Array): Promise<string> {
    return (await this.#rpc.call(SatelliteAdminCreateApiKey, { projectId }, { timeoutMs: 60_000 })).apiKey;
  }

  /** False when the key was unknown or already revoked. */
  async revokeApiKey(keyId: string): Promise<boolean> {
    return (await this.#rpc.call(SatelliteAdminRevokeApiKey, { keyId }, { timeoutMs: 60_000 })).revoked;
  }

  /** Every registered node, in id order, page by page. */
  async *nodes(pageSize = 500): AsyncGenerator<AdminNode> {
    let cursor: Uint8Array | undefined;
    for (;;) {
      const { nodes } = await this.#rpc.call(SatelliteAdminNodes, { ...(cursor === undefined ? {} : { cursor }), limit: pageSize }, { timeoutMs: 60_000 });
      yield* nodes;
      if (nodes.length < pageSize) return;
      cursor = nodes.at(-1)!.id;
    }
  }

  close(): Promise<void> {
    return this.#rpc.close();
  }
}

/** A registered node as `SatelliteAdminClient.nodes` gives it. */
export type AdminNode = Infer<typeof AdminNodeSchema>;

export {
  SatelliteAdminExits,
  SatelliteAdminExitReport,
  AdminExitProgress,
  AdminExitReportRow,
  SatelliteAdminProjects,
  SatelliteAdminCreateProject,
  SatelliteAdminApiKeys,
  SatelliteAdminCreateApiKey,
  SatelliteAdminRevokeApiKey,
  SatelliteAdminNodes,
} from './methods.js';
