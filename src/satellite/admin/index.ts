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
import type { Satellite } from '../satellite.js';
import { SatelliteAdminExitReport, SatelliteAdminExits } from './methods.js';

/** Registers `SatelliteAdmin.*` for `satellite`. */
export function registerSatelliteAdmin(admin: OwnerOnlyRegistry, satellite: Pick<Satellite, 'exits'>): void {
  admin.unary(SatelliteAdminExits, async () => ({ exits: await satellite.exits.progress() }));
  admin.unary(SatelliteAdminExitReport, async ({ from, to }) => {
    if (to <= from) throw new InvalidArgumentError(`"to" must be after "from"`);
    return { rows: await satellite.exits.report({ from, to }) };
  });
}

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

  close(): Promise<void> {
    return this.#rpc.close();
  }
}

export { SatelliteAdminExits, SatelliteAdminExitReport, AdminExitProgress, AdminExitReportRow } from './methods.js';
