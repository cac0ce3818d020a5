/**
 * The package's public subpaths as its exports map declares them, which of them are meant for
 * browsers, and the import graph of a built entry — shared by the package tests.
 */
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface PackageJson {
  readonly name: string;
  readonly exports: Record<string, string | { readonly types: string; readonly import: string }>;
  readonly scripts: Record<string, string>;
  readonly dependencies: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly files: readonly string[];
}

export const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;

export interface Subpath {
  /** As a user imports it: `handoff/transfer/sqlite`. */
  readonly name: string;
  /** The built module and its declarations, relative to the root. */
  readonly js: string;
  readonly dts: string;
  /** The source entry file. */
  readonly source: string;
}

/** Every code subpath of the exports map (not `./package.json`). */
export const subpaths: readonly Subpath[] = Object.entries(pkg.exports).flatMap(([key, target]) => {
  if (typeof target === 'string') return [];
  return [{
    name: pkg.name + key.slice(1),
    js: target.import.replace(/^\.\//, ''),
    dts: target.types.replace(/^\.\//, ''),
    source: target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'),
  }];
});

export const subpath = (name: string): Subpath => {
  const found = subpaths.find((s) => s.name === name);
  if (found === undefined) throw new Error(`${name} is not in the exports map`);
  return found;
};

/**
 * The subpaths a browser app may import: the README's table marks them, and a test bundles each
 * for the browser. Everything else is for Node (servers, adapters, test harnesses).
 */
export const BROWSER_SUBPATHS = ['handoff', 'handoff/transport', 'handoff/uplink', 'handoff/move', 'handoff/exit', 'handoff/transfer'] as const;

/** Packages that are native modules or database drivers. */
export const DRIVERS = ['better-sqlite3', 'pg', 'pg-native', 'msgpackr-extract', 'bindings'] as const;

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** `node:fs`, `fs`, `fs/promises`...: a Node built-in module. */
export const isNodeBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || builtins.has(specifier);

/** The package a bare specifier names (`@noble/hashes/sha2.js` → `@noble/hashes`). */
export const packageOf = (specifier: string): string =>
  specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

export function requireBuilt(): void {
  const missing = subpaths.filter((s) => !existsSync(join(root, s.js)) || !existsSync(join(root, s.dts)));
  if (missing.length > 0) throw new Error(`not built (npm run build): ${missing.map((s) => s.js).join(', ')}`);
}

/**
 * What a built module loads as soon as it is imported: every bare specifier (package or Node
 * built-in) reached through static `import` statements, following the package's own chunks.
 * Dynamic `import()`s are not followed: they load only when the code that makes them runs.
 */
export async function staticImports(file: string): Promise<Map<string, string>> {
  const result = await esbuild.build({
    entryPoints: [join(root, file)],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
    outdir: join(root, 'node_modules/.cache/handoff-graph'),
  });
  const inputs = result.metafile.inputs;
  const reached = new Map<string, string>(); // specifier → the module that imports it
  const seen = new Set<string>();
  const queue = [Object.keys(inputs).find((k) => join(root, k) === join(root, file))!];
  while (queue.length > 0) {
    const current = queue.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    for (const imported of inputs[current]?.imports ?? []) {
      if (imported.kind !== 'import-statement') continue;
      if (imported.external) {
        if (!reached.has(imported.path)) reached.set(imported.path, current);
      } else queue.push(imported.path);
    }
  }
  return reached;
}

/** Ends esbuild's service process, which the bundling helpers start (nothing a test starts outlives it). */
export async function stopBundler(): Promise<void> {
  await esbuild.stop();
}
