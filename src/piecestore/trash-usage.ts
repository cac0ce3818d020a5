/**
 * Pieces and bytes in a store's trash, per satellite and per trash time, kept in memory (the
 * filesystem store fills it from a scan at open). Emptying the trash of one time then needs no
 * file reads to keep the accounting right.
 */
import { fromHex, toHex } from '../core/bytes.js';
import { checkId } from './store.js';

export interface TrashBatch {
  pieces: number;
  bytes: number;
}

export class TrashUsage {
  /** satellite hex → trash time → batch. */
  readonly #bySatellite = new Map<string, Map<number, TrashBatch>>();

  add(satellite: string, trashedAt: number, pieces: number, bytes: number): void {
    let times = this.#bySatellite.get(satellite);
    if (!times) this.#bySatellite.set(satellite, (times = new Map()));
    const batch = times.get(trashedAt) ?? { pieces: 0, bytes: 0 };
    batch.pieces += pieces;
    batch.bytes += bytes;
    if (batch.pieces > 0) times.set(trashedAt, batch);
    else times.delete(trashedAt);
    if (times.size === 0) this.#bySatellite.delete(satellite);
  }

  /** Forgets (and returns) the batch of one trash time. */
  take(satellite: string, trashedAt: number): TrashBatch {
    const times = this.#bySatellite.get(satellite);
    const batch = times?.get(trashedAt) ?? { pieces: 0, bytes: 0 };
    times?.delete(trashedAt);
    if (times?.size === 0) this.#bySatellite.delete(satellite);
    return batch;
  }

  bytes(satelliteId?: Uint8Array): number {
    if (satelliteId !== undefined) checkId(satelliteId, 'satelliteId');
    const satellites = satelliteId === undefined ? [...this.#bySatellite.values()] : [this.#bySatellite.get(toHex(satelliteId)) ?? new Map<number, TrashBatch>()];
    let total = 0;
    for (const times of satellites) for (const batch of times.values()) total += batch.bytes;
    return total;
  }

  satellites(): Uint8Array[] {
    return [...this.#bySatellite.keys()].map(fromHex);
  }
}
