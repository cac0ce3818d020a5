/** `hf://bucket/key`: how the object commands name what is in the network (a bare path is local). */
import { UsageError } from '../args.js';

export const SCHEME = 'hf://';

/** A bucket and a key (or key prefix; `''` for the whole bucket). */
export interface ObjectUrl {
  readonly bucket: string;
  readonly key: string;
}

/** True for `hf://…`. */
export function isRemote(text: string): boolean {
  return text.startsWith(SCHEME);
}

/** Reads `hf://bucket[/key]` (or a bare `bucket[/key]` where only remote makes sense). */
export function parseObjectUrl(text: string, options: { bare?: boolean } = {}): ObjectUrl {
  let rest: string;
  if (isRemote(text)) rest = text.slice(SCHEME.length);
  else if (options.bare) rest = text;
  else throw new UsageError(`${JSON.stringify(text)} is not in the network: write it hf://bucket/key`);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw new UsageError(`${JSON.stringify(text)} names no bucket: write it hf://bucket/key`);
  return { bucket, key };
}

/** `hf://bucket/key` for printing. */
export function formatObjectUrl(bucket: string, key: string): string {
  return `${SCHEME}${bucket}/${key}`;
}

/** A prefix as a folder: `''` stays the whole bucket, anything else ends with `/`. */
export function asFolder(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}
