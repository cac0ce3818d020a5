/**
 * A storage node's monthly bandwidth allocation, pure: which period a time falls in (calendar
 * months, UTC), what is left of an allocation, and the typed error that asks an operator to choose
 * between exceeding it and waiting when an exit needs more than is left (seed 001).
 *
 * What counts as used (docs/exit.md): every order the node served or received — the largest
 * amount the uplink (or repairer, or exiting node) signed for each serial, ingress and egress alike,
 * in the month the satellite created its limit — plus the bytes the node itself sent to replacement
 * nodes during an exit (those orders are held by the receivers, so the node counts them itself).
 */
import { FailedPreconditionError } from '../core/errors.js';
import type { ExitBandwidthChoice } from '../exit/types.js';

/** A bandwidth period: [start, end) in ms since the epoch. */
export interface BandwidthPeriod {
  readonly start: number;
  readonly end: number;
}

/** The calendar month (UTC) holding `at`. */
export function bandwidthPeriod(at: number): BandwidthPeriod {
  const date = new Date(at);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return { start, end };
}

/** Where the node stands against its allocation in the current period. */
export interface BandwidthStanding {
  /** Bytes allowed per period; null when the node has no allocation (unlimited). */
  readonly allocationBytes: number | null;
  readonly usedBytes: number;
  /** What is left (never negative); null when unlimited. */
  readonly remainingBytes: number | null;
  readonly period: BandwidthPeriod;
}

/** The standing at `at` for `allocationBytes` (null: unlimited) with `usedBytes` used this period. */
export function bandwidthStanding(allocationBytes: number | null, usedBytes: number, at: number): BandwidthStanding {
  return { allocationBytes, usedBytes, remainingBytes: allocationBytes === null ? null : Math.max(0, allocationBytes - usedBytes), period: bandwidthPeriod(at) };
}

/**
 * The operator's bandwidth choice for an exit that needs `neededBytes`: the one given; or, when
 * none was given, none is needed (unlimited, or enough left) — else {@link BandwidthChoiceRequiredError}.
 */
export function exitBandwidthChoice(standing: BandwidthStanding, neededBytes: number, given: ExitBandwidthChoice | undefined): ExitBandwidthChoice | null {
  if (given !== undefined) return given;
  if (standing.remainingBytes === null || neededBytes <= standing.remainingBytes) return null;
  throw new BandwidthChoiceRequiredError(standing, neededBytes);
}

/**
 * The exit needs more bandwidth than is left this period: the caller must choose `exceed` (go on
 * past the allocation) or `wait` (transfer what fits, pause until the allocation renews, go on).
 * Nothing was started. The numbers are fields, and in the message.
 *
 * @example
 * ```ts
 * try { await node.exitSatellite(id) } catch (err) {
 *   if (err instanceof Error && err.name === 'BandwidthChoiceRequiredError') await node.exitSatellite(id, { bandwidth: await ask(err) });
 * }
 * ```
 */
export class BandwidthChoiceRequiredError extends FailedPreconditionError {
  readonly neededBytes: number;
  readonly remainingBytes: number;
  readonly allocationBytes: number;
  /** When the allocation renews (the next period's start). */
  readonly renewsAt: number;

  constructor(standing: BandwidthStanding, neededBytes: number) {
    const remaining = standing.remainingBytes ?? 0;
    const allocation = standing.allocationBytes ?? 0;
    super(
      `the exit needs about ${gb(neededBytes)} of bandwidth but ${gb(remaining)} of this month's ${gb(allocation)} allocation is left ` +
        `(it renews ${new Date(standing.period.end).toISOString()}): choose to exceed the allocation or to wait for it`,
      { details: { neededBytes, remainingBytes: remaining, allocationBytes: allocation, renewsAt: standing.period.end } },
    );
    this.name = 'BandwidthChoiceRequiredError';
    this.neededBytes = neededBytes;
    this.remainingBytes = remaining;
    this.allocationBytes = allocation;
    this.renewsAt = standing.period.end;
  }
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(bytes < 1e9 ? 3 : 1)} GB`;
}
