/** Small helpers for the CLI's flags: sizes, satellite references, failures in plain words. */
import { NodeId } from '../crypto/node-id.js';

/** The command line is wrong: the CLI prints it with the usage and exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses `10GiB`, `512 MiB`, `1.5TB`, `2e9B`: a number and its unit (B, kB/MB/GB/TB in powers of
 * 1000, KiB/MiB/GiB/TiB in powers of 1024). The unit is required — a bare `10` is refused rather
 * than read as 10 bytes — except for `0`. `flag` names the option in errors.
 */
export function parseSize(text: string, flag = 'size'): number {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(b|k|kb|mb|gb|tb|pb|kib|mib|gib|tib|pib)?$/i.exec(text.trim());
  if (!match || (match[2] === undefined && Number(match[1]) !== 0)) {
    throw new UsageError(`--${flag} is a size with its unit, like 10GB or 512MiB, got ${JSON.stringify(text)}`);
  }
  const units: Record<string, number> = { b: 1, k: 1e3, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, pb: 1e15, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, pib: 2 ** 50 };
  const bytes = Math.floor(Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`--${flag} is too large: ${JSON.stringify(text)}`);
  return bytes;
}

/** `<node id>@<host:port>`, as `satellite run` prints it. */
export function parseSatelliteRef(text: string): { id: NodeId; address: string } {
  const at = text.indexOf('@');
  if (at < 0) throw new UsageError(`a satellite is <id>@<host:port>, got ${JSON.stringify(text)}`);
  let id: NodeId;
  try {
    id = NodeId.parse(text.slice(0, at));
  } catch (err) {
    throw new UsageError(`${JSON.stringify(text.slice(0, at))} is not a satellite id (copy the <id>@<host:port> satellite run prints)`, { cause: err });
  }
  return { id, address: text.slice(at + 1) };
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

/** Parses `500ms`, `30s`, `5m`, `2h`, `7d` (a bare number is milliseconds). */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`cannot read ${JSON.stringify(text)} as a duration (try 30s, 5m or 2h)`);
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
  return Math.round(Number(match[1]) * (units[(match[2] ?? 'ms').toLowerCase()] ?? 1));
}

/** Parses `2026-11-01` (midnight UTC) or a full ISO 8601 time; `flag` names it in errors. */
export function parseDate(text: string, flag: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--${flag} is a date like 2026-11-01 or 2026-11-01T12:00:00Z, got ${JSON.stringify(text)}`);
  return ms;
}

/** Parses `required/repair/success/total` (e.g. `4/6/8/10`) as a Reed–Solomon scheme with 256-byte shares. */
export function parseRedundancy(text: string): { algorithm: 'reed-solomon'; shareSize: number; required: number; repair: number; success: number; total: number } {
  const match = /^(\d+)\/(\d+)\/(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`--redundancy is required/repair/success/total, e.g. 4/6/8/10, got ${JSON.stringify(text)}`);
  const [required, repair, success, total] = match.slice(1).map(Number) as [number, number, number, number];
  return { algorithm: 'reed-solomon', shareSize: 256, required, repair, success, total };
}

/** Parses a fraction in [0, 1] (`0.8`, or `80%`). */
export function parseFraction(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(%)?$/.exec(text.trim());
  const value = match ? Number(match[1]) / (match[2] ? 100 : 1) : Number.NaN;
  if (!(value >= 0 && value <= 1)) throw new UsageError(`--${flag} is a fraction from 0 to 1 (or a percentage), got ${JSON.stringify(text)}`);
  return value;
}
