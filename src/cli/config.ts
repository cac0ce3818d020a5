/**
 * Where every option's value can come from besides the command line: an environment variable
 * and a JSON config file, named the same way — `node run --capacity` is `HANDOFF_NODE_CAPACITY`
 * and `{ "node": { "capacity": "…" } }`; a command outside a group (`ls`, `cp`) and the global
 * options use the bare names (`HANDOFF_ACCESS`, `{ "access": "…" }`). The command line wins over
 * the environment, which wins over the file, which wins over the default (docs/cli.md).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './args.js';

/** The groups whose options are namespaced: the first word of a command of several words. */
export function optionScope(path: readonly string[]): string | undefined {
  return path.length > 1 ? path[0] : undefined;
}

/** `HANDOFF_NODE_CAPACITY` for `--capacity` of `node run`; `HANDOFF_ACCESS` for a global `--access`. */
export function envName(scope: string | undefined, attribute: string): string {
  const snake = (text: string): string => text.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase();
  return `HANDOFF_${scope === undefined ? '' : `${snake(scope)}_`}${snake(attribute)}`;
}

/**
 * The user's handoff directory: `$HANDOFF_CONFIG_DIR`, else `$XDG_CONFIG_HOME/handoff`, else
 * `%APPDATA%\handoff` on Windows, else `~/.config/handoff`.
 */
export function configDirectory(env: Readonly<Record<string, string | undefined>>): string {
  if (env.HANDOFF_CONFIG_DIR) return env.HANDOFF_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'handoff');
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'handoff');
  return join(homedir(), '.config', 'handoff');
}

/** A parsed config file: option values by scope. */
export type ConfigFile = Readonly<Record<string, unknown>>;

/**
 * Reads the config file: `explicit` (from `--config` or `HANDOFF_CONFIG`; it must exist), else
 * `<configDir>/config.json` when there is one.
 */
export function loadConfigFile(explicit: string | undefined, configDir: string): { path: string; values: ConfigFile } | undefined {
  const path = explicit ?? join(configDir, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (explicit === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the config file ${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new UsageError(`the config file ${path} must hold a JSON object`);
  return { path, values: values as ConfigFile };
}

/** The value the config file gives an option (`scope.attribute` or top-level `attribute`), as text; undefined when none. */
export function configValue(file: ConfigFile | undefined, scope: string | undefined, attribute: string, kebab: string): unknown {
  if (file === undefined) return undefined;
  const section = scope === undefined ? file : file[scope];
  if (typeof section !== 'object' || section === null || Array.isArray(section)) return undefined;
  const record = section as Record<string, unknown>;
  return record[attribute] ?? record[kebab];
}

/** Reads a switch from an environment variable or config value: 1/true/yes/on or 0/false/no/off. */
export function parseSwitch(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(text)) return false;
  throw new UsageError(`${where} is a switch (true or false), got ${JSON.stringify(value)}`);
}
