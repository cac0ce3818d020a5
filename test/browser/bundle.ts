/** esbuild, as a browser application's bundler would run it on handoff's sources. */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Packages that only work under Node (native code or Node sockets), besides the built-ins. */
const NODE_ONLY_PACKAGES = ['better-sqlite3', 'pg', 'pg-pool', 'msgpackr-extract', 'bufferutil', 'utf-8-validate', 'bindings'];

export interface BrowserBundle {
  readonly code: string;
  /** Every file the bundle was made from, relative to the repository. */
  readonly inputs: readonly string[];
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** Bundles `entry` (a path relative to the repository) for the browser platform. */
export async function bundleForBrowser(entry: string, options: { minify: boolean; format: 'esm' | 'iife' }): Promise<BrowserBundle> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: options.format,
    target: 'es2022',
    minify: options.minify,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0]!.contents;
  return {
    code: new TextDecoder().decode(output),
    inputs: Object.keys(result.metafile.inputs),
    bytes: output.length,
    gzipBytes: gzipSync(output, { level: 9 }).length,
  };
}

/** The inputs that are Node built-ins or Node-only packages (none, for a bundle that runs in a browser). */
export function nodeOnlyInputs(inputs: readonly string[]): string[] {
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  return inputs.filter((input) => {
    if (builtins.has(input) || input.startsWith('node:')) return true;
    const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    return inPackage !== null && NODE_ONLY_PACKAGES.includes(inPackage[1]!);
  });
}
