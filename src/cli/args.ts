/** Small helpers for the CLI's flags: sizes, satellite references, failures in plain words. */
import { NodeId } from '../crypto/node-id.js';

export class UsageError extends Error {}

/** Parses `10GiB`, `512MiB`, `1e9` and plain byte counts. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(b|kib|mib|gib|tib|kb|mb|gb|tb)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`cannot read ${JSON.stringify(text)} as a size (try 10GiB)`);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  return Math.floor(Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1));
}

/** `<node id>@<host:port>`, as `satellite run` prints it. */
export function parseSatelliteRef(text: string): { id: NodeId; address: string } {
  const at = text.indexOf('@');
  if (at < 0) throw new UsageError(`a satellite is <id>@<host:port>, got ${JSON.stringify(text)}`);
  return { id: NodeId.parse(text.slice(0, at)), address: text.slice(at + 1) };
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}
