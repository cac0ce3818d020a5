/**
 * The subpaths meant for browsers bundle for the browser: esbuild (platform `browser`, which
 * honours the `browser` fields of dependencies, as a browser app's bundler does) bundles each
 * built entry, and any Node built-in or native module it pulls in — statically or through a
 * dynamic `import()` with a literal specifier — fails the test, naming the module that asked.
 * `npm test` builds before it runs the tests.
 */
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_SUBPATHS, DRIVERS, isNodeBuiltin, packageOf, requireBuilt, root, stopBundler, subpath } from './exports.js';

beforeAll(requireBuilt);
afterAll(stopBundler);

interface Bundle {
  /** Node built-ins and native modules asked for, each with the file that asked. */
  readonly nodeOnly: string[];
  readonly errors: string[];
  readonly bytes: number;
}

async function bundleForBrowser(file: string): Promise<Bundle> {
  const nodeOnly: string[] = [];
  const relative = (path: string): string => path.replace(root, '');
  const detector: esbuild.Plugin = {
    name: 'node-only-detector',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const native = (DRIVERS as readonly string[]).includes(packageOf(args.path)) || args.path.endsWith('.node');
        if (!isNodeBuiltin(args.path) && !native) return undefined;
        nodeOnly.push(`${args.path} (${args.kind} in ${relative(args.importer)})`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [join(root, file)],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    minify: true,
    logLevel: 'silent',
    plugins: [detector],
    outdir: join(root, 'node_modules/.cache/handoff-browser'),
  }).catch((err: esbuild.BuildFailure) => ({ errors: err.errors, outputFiles: [] as esbuild.OutputFile[] }));
  return {
    nodeOnly,
    errors: result.errors.map((e) => `${e.text}${e.location ? ` (${e.location.file}:${e.location.line})` : ''}`),
    bytes: (result.outputFiles ?? []).filter((f) => f.path.endsWith('.js')).reduce((sum, f) => sum + f.contents.length, 0),
  };
}

describe('the browser-meant subpaths', () => {
  it.each(BROWSER_SUBPATHS)('%s bundles for the browser with no Node built-in or native module', async (name) => {
    const bundle = await bundleForBrowser(subpath(name).js);
    expect(bundle.errors).toEqual([]);
    expect(bundle.nodeOnly).toEqual([]);
    expect(bundle.bytes).toBeGreaterThan(0);
  });

  it('are told apart from the Node ones: the detector catches what a Node subpath pulls in', async () => {
    // The check must be able to fail: a subpath that does load node:fs and a driver is caught.
    const bundle = await bundleForBrowser(subpath('handoff/transfer/sqlite').js);
    expect(bundle.nodeOnly.some((m) => m.startsWith('better-sqlite3'))).toBe(true);
  });
});
