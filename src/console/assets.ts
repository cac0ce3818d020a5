/**
 * Where the built console is: `dist/console` of the handoff package, found by walking up from
 * this module (it runs from `dist/` when installed, from `src/` under tsx and in tests).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built console's directory, or undefined when the package was built without it.
 * `HANDOFF_CONSOLE_ASSETS` names another build (a development build, a test's scratch build).
 */
export function consoleAssetsDir(from: string = fileURLToPath(import.meta.url)): string | undefined {
  const override = process.env.HANDOFF_CONSOLE_ASSETS;
  if (override) return existsSync(join(override, 'index.html')) ? override : undefined;
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isHandoff(manifest)) {
      const assets = join(dir, 'dist', 'console');
      return existsSync(join(assets, 'index.html')) ? assets : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function isHandoff(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'handoff';
  } catch {
    return false;
  }
}
