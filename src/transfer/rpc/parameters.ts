/**
 * Negotiated plugin parameters (`{ host: 'b.example.org', port: 22, ... }`) as a typed list on
 * the wire: each value keeps whether it was a string, a number or a boolean. @internal
 */
import type { Infer } from '../../codec/index.js';
import { DecodeError } from '../../core/errors.js';
import type { TransferParameters } from '../plugin.js';
import type { parameterSchema } from './provider-methods.js';

type WireParameter = Infer<typeof parameterSchema>;

export function parametersToWire(parameters: TransferParameters): WireParameter[] {
  return Object.entries(parameters).map(([key, value]): WireParameter => {
    if (typeof value === 'string') return { type: 'string', key, value };
    if (typeof value === 'number') return { type: 'number', key, value };
    return { type: 'boolean', key, value };
  });
}

export function parametersFromWire(list: readonly WireParameter[]): TransferParameters {
  const keys = new Set<string>();
  for (const { key } of list) {
    if (keys.has(key)) throw new DecodeError(`the transfer parameter "${key}" appears twice`);
    keys.add(key);
  }
  // fromEntries defines own properties, so even a key named "__proto__" stays a plain key.
  return Object.fromEntries(list.map((p) => [p.key, p.value]));
}
